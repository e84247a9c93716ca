import Foundation
public import SluiceFormats

/// Step 3 of `sluice preprocess`: adds a numeric `age` (years) from `development_stage` and
/// drops metadata columns that are empty in the whole dataset.
///
/// Standard cellxgene columns (`sex`, `disease`, `tissue`, `cell_type`, `donor_id`, `assay`, …)
/// are kept when present; a column is empty when every row is missing or the empty string.
/// ``plan(chunks:)`` reads only the metadata columns to find the empty ones; ``Plan/apply(_:path:)``
/// then transforms one chunk at a time, so cleaning can feed the split directly.
public struct MetadataCleaner {
    public struct Result: Sendable, Codable, Hashable {
        public var droppedColumns: [String]
        public var ageColumn: Bool
        public var cellsWithAge: Int
        public var files: [String]
    }

    /// What to keep and add, decided once for the whole dataset.
    public struct Plan: Sendable {
        public let schema: ParquetSchema
        public let droppedColumns: [String]
        public let addsAge: Bool
        let readColumns: [String]
        /// Where the kept columns are in a token chunk's full schema.
        let keptIndices: [Int]
        let stageIndex: Int?

        /// The cleaned rows of one chunk (read with ``readColumns``) and how many got an age.
        public func apply(_ table: ParquetRowBatch, path: String) throws -> (ParquetRowBatch, Int) {
            var data = table.columns
            guard let stageIndex else { return (table, 0) }
            let stage = data[stageIndex]
            guard case .string(let labels) = stage.values else {
                throw FormatError(.unsupportedType, path: path, "development_stage is not a text column")
            }
            let ages = (0..<table.rowCount).map { stage.isNull($0) ? nil : DevelopmentStage.ageInYears(labels[$0]) }
            data.append(ParquetColumnData(.double(ages.map { $0 ?? 0 }), validity: ages.map { $0 != nil }))
            return (ParquetRowBatch(data), ages.count { $0 != nil })
        }

        /// The kept columns of a whole token chunk (as the converter makes it, before any file).
        public func keptColumns(of chunk: ParquetRowBatch) -> ParquetRowBatch {
            ParquetRowBatch(keptIndices.map { chunk.columns[$0] })
        }

        /// Reads one chunk with the columns the plan keeps.
        public func read(_ chunk: String) throws -> ParquetRowBatch {
            try ParquetReader(path: chunk).readAll(columns: readColumns)
        }
    }

    public let options: ConvertOptions

    public init(options: ConvertOptions) { self.options = options }

    /// Finds the empty metadata columns of the token chunks `chunks`.
    public func plan(chunks: [String]) throws -> Plan? {
        guard let first = chunks.first else { return nil }
        let schema = try ParquetReader(path: first).schema
        let metadataNames = schema.columns.dropFirst(CorpusColumns.fixed.count).map(\.name)
        var filled = Set<String>()
        for chunk in chunks {
            let table = try ParquetReader(path: chunk).readAll(columns: metadataNames)
            for (name, column) in zip(metadataNames, table.columns) where !filled.contains(name) {
                if Self.hasValue(column) { filled.insert(name) }
            }
        }
        return Self.plan(schema: schema, filledColumns: filled)
    }

    /// The plan for token chunks laid out as `schema`, given the metadata columns that hold a
    /// value in some cell (``hasValue(_:)``); the others are dropped.
    public static func plan(schema: ParquetSchema, filledColumns filled: Set<String>) -> Plan {
        let fixedCount = CorpusColumns.fixed.count
        let metadataNames = schema.columns.dropFirst(fixedCount).map(\.name)
        let keptIndices = Array(0..<fixedCount) + (fixedCount..<schema.columns.count).filter { filled.contains(schema.columns[$0].name) }
        let kept = keptIndices.map { schema.columns[$0] }
        let stageIndex = kept.firstIndex { $0.name == "development_stage" }
        var columns = kept
        if stageIndex != nil { columns.append(.scalar("age", .double, nullable: true)) }
        return Plan(
            schema: ParquetSchema(columns), droppedColumns: metadataNames.filter { !filled.contains($0) },
            addsAge: stageIndex != nil, readColumns: kept.map(\.name), keptIndices: keptIndices, stageIndex: stageIndex)
    }

    /// Step 3 on its own: writes the cleaned chunks into `folder`.
    public func run(chunks: [String], into folder: String, metadata: [String: String]) throws -> Result {
        guard let plan = try plan(chunks: chunks) else { return Result(droppedColumns: [], ageColumn: false, cellsWithAge: 0, files: []) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var files: [String] = []
        var withAge = 0
        for (index, chunk) in chunks.enumerated() {
            let (table, aged) = try plan.apply(try plan.read(chunk), path: chunk)
            withAge += aged
            let path = (folder as NSString).appendingPathComponent(String(format: "chunk_%04d.parquet", index))
            let writer = try ParquetWriter(path: path, schema: plan.schema, options: options.interimWriterOptions(metadata))
            try writer.write(table)
            try writer.close()
            files.append(path)
        }
        return Result(droppedColumns: plan.droppedColumns, ageColumn: plan.addsAge, cellsWithAge: withAge, files: files)
    }

    /// Whether any row holds a value (not missing, not the empty string).
    static func hasValue(_ column: ParquetColumnData) -> Bool {
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
