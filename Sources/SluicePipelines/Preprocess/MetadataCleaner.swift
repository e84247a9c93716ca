import Foundation
import SluiceFormats

/// Step 3 of `sluice preprocess`: adds a numeric `age` (years) from `development_stage` and
/// drops metadata columns that are empty in the whole dataset.
///
/// Standard cellxgene columns (`sex`, `disease`, `tissue`, `cell_type`, `donor_id`, `assay`, …)
/// are kept when present; a column is empty when every row is missing or the empty string.
/// Two passes over the interim chunks: one finds the empty columns, one rewrites the chunks.
public struct MetadataCleaner {
    public struct Result: Sendable, Codable, Hashable {
        public var droppedColumns: [String]
        public var ageColumn: Bool
        public var cellsWithAge: Int
        public var files: [String]
    }

    public let options: ConvertOptions

    public init(options: ConvertOptions) { self.options = options }

    public func run(chunks: [String], into folder: String, metadata: [String: String]) throws -> Result {
        guard let first = chunks.first else { return Result(droppedColumns: [], ageColumn: false, cellsWithAge: 0, files: []) }
        let schema = try ParquetReader(path: first).schema
        let fixedCount = CorpusColumns.fixed.count
        let metadataNames = schema.columns.dropFirst(fixedCount).map(\.name)
        var nonEmpty = Set<String>()
        for chunk in chunks {
            let table = try ParquetReader(path: chunk).readAll(columns: metadataNames)
            for (name, column) in zip(metadataNames, table.columns) where !nonEmpty.contains(name) {
                if Self.hasValue(column) { nonEmpty.insert(name) }
            }
        }
        let kept = metadataNames.filter { nonEmpty.contains($0) }
        let hasStage = kept.contains("development_stage")
        var columns = Array(schema.columns.prefix(fixedCount)) + schema.columns.filter { kept.contains($0.name) }
        if hasStage { columns.append(.scalar("age", .double, nullable: true)) }
        let outSchema = ParquetSchema(columns)

        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var writerOptions = ParquetWriterOptions(compression: options.compressed ? .zstd : .uncompressed, zstdLevel: options.zstdLevel)
        writerOptions.keyValueMetadata = metadata
        var files: [String] = []
        var withAge = 0
        for (index, chunk) in chunks.enumerated() {
            let table = try ParquetReader(path: chunk).readAll(columns: columns.prefix(fixedCount + kept.count).map(\.name))
            var data = table.columns
            if hasStage, let stageIndex = kept.firstIndex(of: "development_stage") {
                let stage = data[fixedCount + stageIndex]
                guard case .string(let labels) = stage.values else {
                    throw FormatError(.unsupportedType, path: chunk, "development_stage is not a text column")
                }
                let ages = (0..<table.rowCount).map { stage.isNull($0) ? nil : DevelopmentStage.ageInYears(labels[$0]) }
                withAge += ages.count { $0 != nil }
                data.append(ParquetColumnData(.double(ages.map { $0 ?? 0 }), validity: ages.map { $0 != nil }))
            }
            let path = (folder as NSString).appendingPathComponent(String(format: "chunk_%04d.parquet", index))
            let writer = try ParquetWriter(path: path, schema: outSchema, options: writerOptions)
            try writer.write(ParquetRowBatch(data))
            try writer.close()
            files.append(path)
        }
        return Result(
            droppedColumns: metadataNames.filter { !nonEmpty.contains($0) }, ageColumn: hasStage, cellsWithAge: withAge, files: files)
    }

    /// Whether any row holds a value (not missing, not the empty string).
    private static func hasValue(_ column: ParquetColumnData) -> Bool {
        for row in 0..<column.rowCount where !column.isNull(row) {
            if case .string(let strings) = column.values {
                if strings.offsets[row + 1] > strings.offsets[row] { return true }
            } else {
                return true
            }
        }
        return false
    }
}
