import Foundation
public import SluiceFormats

/// Step 4 of `sluice preprocess`: writes each chunk's rows into the train and test shards
/// (`train/chunks/chunk_0000.parquet`, …) by ``SplitAssigner``.
///
/// A shard holds chunks, each its own row group, until it reaches `options.shardBytes` (500 MB
/// by default, as Hugging Face `datasets` shards), so its bounds depend on the data only. At a
/// checkpoint the open shards are flushed and their state recorded (``checkpoint(_:)``); a
/// resumed run goes on writing them from there.
public struct CorpusSplitter {
    public struct Result: Sendable, Codable, Hashable {
        public var trainCells = 0
        public var testCells = 0
        public var trainFiles: [String] = []
        public var testFiles: [String] = []
        /// Groups (e.g. donors) in each split, with `--split-by`.
        public var trainGroups: Int?
        public var testGroups: Int?
    }

    public let assigner: SplitAssigner
    public let splitBy: String?
    /// With `skip`, every cell goes to train.
    public let skip: Bool
    public let options: ConvertOptions

    public init(assigner: SplitAssigner, splitBy: String?, skip: Bool, options: ConvertOptions) {
        self.assigner = assigner
        self.splitBy = splitBy
        self.skip = skip
        self.options = options
    }

    /// Step 4 on its own: splits the cleaned chunk files `chunks` into `folder`.
    public func run(chunks: [String], into folder: String, metadata: [String: String]) throws -> Result {
        var progress = Progress()
        for chunk in chunks {
            let reader = try ParquetReader(path: chunk)
            try split(try reader.readAll(), schema: reader.schema, from: chunk, into: folder, metadata: metadata, &progress)
        }
        try finish(&progress)
        return progress.finished(grouped: splitBy != nil && !skip)
    }

    /// What has been written so far.
    public struct Progress: Codable {
        var result = Result()
        var trainGroups = Set<String>()
        var testGroups = Set<String>()
        /// The shard each split is filling, by split name, as of the last checkpoint.
        var open: [String: OpenShard] = [:]
        /// Their writers (not part of a checkpoint: a resumed run opens them again from `open`).
        var writers: [String: ParquetWriter] = [:]

        struct OpenShard: Codable {
            var path: String
            var snapshot: ParquetWriter.Snapshot
        }

        enum CodingKeys: CodingKey { case result, trainGroups, testGroups, open }

        public init() {}

        /// The partial files of the open shards, which a resumed run goes on writing.
        public var openPartialFiles: Set<String> { Set(open.values.map { AtomicCommit.partialPath(of: $0.path) }) }

        public func finished(grouped: Bool) -> Result {
            var result = self.result
            if grouped {
                result.trainGroups = trainGroups.count
                result.testGroups = testGroups.count
            }
            return result
        }
    }

    /// Writes the rows of one chunk (`table`, laid out as `schema`) to the next train and test shards.
    public func split(
        _ table: ParquetRowBatch, schema: ParquetSchema, from chunk: String, into folder: String, metadata: [String: String],
        _ progress: inout Progress
    ) throws {
        guard case .string(let cellIDs) = table.columns[0].values else {
            throw FormatError(.unsupportedType, path: chunk, "cell_id is not a text column")
        }
        var groupValues: ParquetStrings?
        var groupColumn: ParquetColumnData?
        if let splitBy, !skip {
            guard let index = schema.columns.firstIndex(where: { $0.name == splitBy }) else {
                throw FormatError(
                    .missingObject, path: chunk,
                    "has no column \(splitBy) to split by (it may be absent from the dataset or empty in every cell)")
            }
            guard case .string(let values) = table.columns[index].values else {
                throw FormatError(.unsupportedType, path: chunk, "\(splitBy) is not a text column; --split-by needs labels")
            }
            groupValues = values
            groupColumn = table.columns[index]
        }
        var train: [Int] = []
        var test: [Int] = []
        for row in 0..<table.rowCount {
            if skip {
                train.append(row)
                continue
            }
            // Cells without a group value are split on their own.
            var key = cellIDs[row]
            if let groupValues, let groupColumn, !groupColumn.isNull(row) {
                key = groupValues[row]
                if assigner.isTest(key) { progress.testGroups.insert(key) } else { progress.trainGroups.insert(key) }
            }
            if assigner.isTest(key) { test.append(row) } else { train.append(row) }
        }
        for (rows, isTrain) in [(train, true), (test, false)] where !rows.isEmpty {
            let split = isTrain ? "train" : "test"
            var writer = progress.writers[split]
            if writer == nil {
                let directory = (folder as NSString).appendingPathComponent("\(split)/chunks")
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let index = isTrain ? progress.result.trainFiles.count : progress.result.testFiles.count
                let path = (directory as NSString).appendingPathComponent(String(format: "chunk_%04d.parquet", index))
                writer = try ParquetWriter(path: path, schema: schema, options: options.writerOptions(metadata))
                if isTrain { progress.result.trainFiles.append(path) } else { progress.result.testFiles.append(path) }
            }
            try writer!.write(rows.count == table.rowCount ? table : table.selecting(rows))
            try writer!.endRowGroup()
            if writer!.bytesWritten >= options.shardBytes {
                try writer!.close()
                progress.writers[split] = nil
                progress.open[split] = nil
            } else {
                progress.writers[split] = writer
            }
            if isTrain {
                progress.result.trainCells += rows.count
            } else {
                progress.result.testCells += rows.count
            }
        }
    }

    /// Flushes the open shards to disk and records where they stand, for a checkpoint.
    public func checkpoint(_ progress: inout Progress) throws {
        for (split, writer) in progress.writers { progress.open[split] = .init(path: writer.path, snapshot: try writer.snapshot()) }
    }

    /// Opens again the shards a checkpoint recorded open, cut to where they stood then.
    public func resume(_ progress: inout Progress, schema: ParquetSchema, metadata: [String: String]) throws {
        for (split, open) in progress.open.sorted(by: { $0.key < $1.key }) {
            progress.writers[split] = try ParquetWriter(resuming: open.path, schema: schema, options: options.writerOptions(metadata), snapshot: open.snapshot)
        }
    }

    /// Closes the open shards: the split is complete.
    public func finish(_ progress: inout Progress) throws {
        for split in progress.writers.keys.sorted() { try progress.writers[split]!.close() }
        progress.writers = [:]
        progress.open = [:]
    }
}
