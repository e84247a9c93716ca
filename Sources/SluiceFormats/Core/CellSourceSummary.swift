import Foundation

/// What `sluice inspect` shows about a cells × genes file: shape, storage and metadata columns.
public struct CellSourceSummary: Sendable, Codable {
    /// One metadata column with its first values.
    public struct Column: Sendable, Codable {
        /// The column's name.
        public var name: String
        /// What the column holds.
        public var kind: FrameColumn.Kind
        /// Whether the column may hold missing values (always true for categorical columns).
        public var nullable: Bool
        /// Categories, for categorical columns (at most 20 are kept).
        public var categories: [String]?
        /// How many categories a categorical column has (`categories` keeps 20 at most); nil for others.
        public var categoryCount: Int?
        /// The first rows as text (`null` = missing).
        public var firstValues: [String?]
    }

    /// The file (or directory, for Matrix Market) summarized.
    public var path: String
    /// The detected format.
    public var format: FileFormat
    /// Number of cells (rows).
    public var cells: Int
    /// Number of genes (columns), after any features left out by type.
    public var genes: Int
    /// How the counts are stored.
    public var matrix: MatrixInfo
    /// The name the file gives the cell index (e.g. `_index`).
    public var obsIndexName: String
    /// The names of the first `preview` cells.
    public var firstCellNames: [String]
    /// The cell (obs) metadata columns, in file order.
    public var obs: [Column]
    /// The name the file gives the gene index (e.g. `gene_ids`).
    public var varIndexName: String
    /// The names of the first `preview` genes.
    public var firstGeneNames: [String]
    /// The gene (var) metadata columns, in file order.
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
