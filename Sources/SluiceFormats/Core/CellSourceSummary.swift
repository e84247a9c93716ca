import Foundation

/// What `sluice inspect` shows about a cells × genes file: shape, storage and metadata columns.
public struct CellSourceSummary: Sendable, Codable {
    /// One metadata column with its first values.
    public struct Column: Sendable, Codable {
        public var name: String
        public var kind: FrameColumn.Kind
        public var nullable: Bool
        /// Categories, for categorical columns (at most 20 are kept).
        public var categories: [String]?
        public var categoryCount: Int?
        /// The first rows as text (`null` = missing).
        public var firstValues: [String?]
    }

    public var path: String
    public var format: FileFormat
    public var cells: Int
    public var genes: Int
    public var matrix: MatrixInfo
    public var obsIndexName: String
    public var firstCellNames: [String]
    public var obs: [Column]
    public var varIndexName: String
    public var firstGeneNames: [String]
    public var `var`: [Column]
    /// Other matrices in the file (h5ad layers and raw, Loom layers).
    public var otherMatrices: [String]
    /// Features left out by their type (``FeatureSelection``), by type; nil when none were.
    public var excludedFeatures: [String: Int]?

    /// Summarizes `source`, reading only its first `preview` cells.
    public init(_ source: any CellSource, preview: Int = 5) throws {
        path = source.path
        format = source.format
        cells = source.cellCount
        genes = source.geneCount
        matrix = source.matrixInfo
        let head = try source.read(cells: 0..<min(preview, source.cellCount))
        obsIndexName = head.obs.indexName
        firstCellNames = head.obs.index
        obs = head.obs.columns.map { Self.column($0, preview: preview) }
        varIndexName = source.genes.indexName
        firstGeneNames = Array(source.genes.index.prefix(preview))
        `var` = source.genes.columns.map { Self.column($0, preview: preview) }
        excludedFeatures = (source as? FeatureFilteredSource)?.excluded
        switch (source as? FeatureFilteredSource)?.base ?? source {
        case let h5ad as H5ADReader:
            otherMatrices = (h5ad.hasRaw ? ["raw"] : []) + h5ad.layerNames.map { "layers/\($0)" }
        case let loom as LoomReader:
            otherMatrices = loom.layerNames.map { "layers/\($0)" }
        default:
            otherMatrices = []
        }
    }

    private static func column(_ column: FrameColumn, preview: Int) -> Column {
        var categories: [String]?
        if case .categorical(_, let all, _) = column.values { categories = all }
        return Column(
            name: column.name, kind: column.kind, nullable: column.schema.nullable,
            categories: categories.map { Array($0.prefix(20)) }, categoryCount: categories?.count,
            firstValues: (0..<min(preview, column.count)).map { i in
                // Float metadata is shown to 7 significant digits, as pandas prints it.
                if case .floats(let values) = column.values, !column.isMissing(i) { return String(format: "%.7g", values[i]) }
                return column.text(at: i)
            })
    }
}
