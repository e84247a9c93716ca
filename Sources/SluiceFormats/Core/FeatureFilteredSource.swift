/// A cells source with some features (matrix columns) left out, by their `feature_types`
/// (``FeatureSelection``): genes, counts and every batch hold the kept features only, in file
/// order, so antibody or guide counts never reach QC, normalisation, medians or tokens.
public final class FeatureFilteredSource: CellSource {
    /// The source read, with all its features.
    public let base: any CellSource
    /// Metadata of the kept features only, in file order.
    public let genes: Frame
    /// Features left out, by type, for `inspect` and the logs.
    public let excluded: [String: Int]
    /// The kept features' columns in the base source.
    private let kept: [Int]
    /// For each column of the base source, its column here, or -1 when left out.
    private let newColumn: [Int32]

    /// The base source's path.
    public var path: String { base.path }
    /// The base source's format.
    public var format: FileFormat { base.format }
    /// The base source's cell count (no cells are left out).
    public var cellCount: Int { base.cellCount }
    /// How the base source stores its counts.
    public var matrixInfo: MatrixInfo { base.matrixInfo }
    /// The base source's cell metadata columns.
    public var cellMetadataSchema: [FrameColumn.Schema] { base.cellMetadataSchema }

    /// `base` with only the features whose type `selection` keeps; `nil` when it keeps them all
    /// (or the file does not type its features). Throws when it would keep none.
    public static func filtering(_ base: any CellSource, _ selection: FeatureSelection) throws -> FeatureFilteredSource? {
        guard let types = base.genes["feature_types"] else { return nil }
        let typeOf = (0..<base.geneCount).map { types.text(at: $0) ?? "" }
        let kept = typeOf.indices.filter { selection.keeps(typeOf[$0]) }
        guard kept.count < typeOf.count else { return nil }
        guard !kept.isEmpty else {
            let present = Set(typeOf).sorted().joined(separator: ", ")
            throw FormatError(
                .invalidArgument, path: base.path, "has no features of the types asked for (it has \(present)); choose them with --feature-types")
        }
        return FeatureFilteredSource(base, kept: kept, typeOf: typeOf)
    }

    private init(_ base: any CellSource, kept: [Int], typeOf: [String]) {
        self.base = base
        self.kept = kept
        genes = base.genes.rows(kept)
        var newColumn = [Int32](repeating: -1, count: base.geneCount)
        for (position, column) in kept.enumerated() { newColumn[column] = Int32(position) }
        self.newColumn = newColumn
        var excluded: [String: Int] = [:]
        for (column, type) in typeOf.enumerated() where newColumn[column] < 0 { excluded[type, default: 0] += 1 }
        self.excluded = excluded
    }

    /// Reads `range` from the base source and keeps the kept features' columns, renumbered.
    public func read(cells range: Range<Int>) throws -> CellBatch {
        var batch = try base.read(cells: range)
        batch.matrix = selectColumns(batch.matrix)
        return batch
    }

    /// The base source's metadata rows of `range`, unchanged.
    public func readCellMetadata(cells range: Range<Int>) throws -> Frame {
        try base.readCellMetadata(cells: range)
    }

    /// The kept columns of `rows`, renumbered; rows stay sorted as they were.
    private func selectColumns(_ rows: SparseRows) -> SparseRows {
        var offsets: [Int64] = [0]
        offsets.reserveCapacity(rows.rowCount + 1)
        var columns: [Int32] = []
        var values: [Float] = []
        columns.reserveCapacity(rows.columns.count)
        values.reserveCapacity(rows.values.count)
        for row in 0..<rows.rowCount {
            for k in Int(rows.offsets[row])..<Int(rows.offsets[row + 1]) {
                let column = newColumn[Int(rows.columns[k])]
                if column >= 0 {
                    columns.append(column)
                    values.append(rows.values[k])
                }
            }
            offsets.append(Int64(columns.count))
        }
        return SparseRows(offsets: offsets, columns: columns, values: values, columnCount: kept.count)
    }
}
