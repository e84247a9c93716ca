import Foundation
import SluiceFormats

/// Step 4 of `sluice preprocess`: writes each cleaned chunk's rows into the train and test shards
/// (`train/chunks/chunk_0000.parquet`, …) by ``SplitAssigner``.
public struct CorpusSplitter {
    public struct Result: Sendable, Codable, Hashable {
        public var trainCells: Int
        public var testCells: Int
        public var trainFiles: [String]
        public var testFiles: [String]
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

    public func run(chunks: [String], into folder: String, metadata: [String: String]) throws -> Result {
        var result = Result(trainCells: 0, testCells: 0, trainFiles: [], testFiles: [])
        var trainGroups = Set<String>()
        var testGroups = Set<String>()
        var writerOptions = ParquetWriterOptions(compression: options.compressed ? .zstd : .uncompressed, zstdLevel: options.zstdLevel)
        writerOptions.keyValueMetadata = metadata
        for chunk in chunks {
            let reader = try ParquetReader(path: chunk)
            let table = try reader.readAll()
            guard case .string(let cellIDs) = table.columns[0].values else {
                throw FormatError(.unsupportedType, path: chunk, "cell_id is not a text column")
            }
            var groupValues: ParquetStrings?
            var groupColumn: ParquetColumnData?
            if let splitBy, !skip {
                guard let index = reader.schema.columns.firstIndex(where: { $0.name == splitBy }) else {
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
                    if assigner.isTest(key) { testGroups.insert(key) } else { trainGroups.insert(key) }
                }
                if assigner.isTest(key) { test.append(row) } else { train.append(row) }
            }
            for (rows, split) in [(train, "train"), (test, "test")] where !rows.isEmpty {
                let directory = (folder as NSString).appendingPathComponent("\(split)/chunks")
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let index = split == "train" ? result.trainFiles.count : result.testFiles.count
                let path = (directory as NSString).appendingPathComponent(String(format: "chunk_%04d.parquet", index))
                let writer = try ParquetWriter(path: path, schema: reader.schema, options: writerOptions)
                try writer.write(table.selecting(rows))
                try writer.close()
                if split == "train" {
                    result.trainFiles.append(path)
                    result.trainCells += rows.count
                } else {
                    result.testFiles.append(path)
                    result.testCells += rows.count
                }
            }
        }
        if splitBy != nil, !skip {
            result.trainGroups = trainGroups.count
            result.testGroups = testGroups.count
        }
        return result
    }
}
