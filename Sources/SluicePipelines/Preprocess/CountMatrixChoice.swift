import SluiceFormats

/// Which matrix of an input the corpus builder ranks. Rank-value tokens need raw counts, and
/// files as users have them do not always keep them in `X`: CELLxGENE's h5ad files hold a
/// normalized `X` and the counts in `raw/X`. Without a choice (`--matrix`), `X` is used when its
/// first cells hold whole numbers only, else `raw/X` when that does; otherwise `X` stays, and
/// the converter refuses its first value with a fraction (unless non-counts are allowed).
public struct CountMatrixChoice: Sendable, Hashable {
    /// The matrix to open (`X`, `raw`, `layers/NAME`; nil for formats with a single matrix).
    public var matrix: String?
    /// One sentence for the log and report on what was chosen and why.
    public var reason: String

    /// Cells whose values are looked at to tell counts from normalized values.
    static let sampledCells = 2_000

    /// Chooses for the file at `path`; `requested` is the user's `--matrix`.
    public static func choose(_ path: String, requested: String?) throws -> CountMatrixChoice {
        if let requested { return CountMatrixChoice(matrix: requested, reason: "the matrix \(requested), as asked (--matrix)") }
        guard try FormatDetector.detect(path) == .h5ad else {
            return CountMatrixChoice(matrix: nil, reason: "the file's only matrix")
        }
        let x = try H5ADReader(path: path, matrix: "X")
        guard let fraction = try firstFraction(x) else { return CountMatrixChoice(matrix: "X", reason: "X, which holds whole numbers") }
        if x.hasRaw, try firstFraction(try H5ADReader(path: path, matrix: "raw")) == nil {
            return CountMatrixChoice(matrix: "raw", reason: "the counts in raw/X, as X is not integer-valued (it holds \(fraction))")
        }
        return CountMatrixChoice(matrix: "X", reason: "X, which is not integer-valued (it holds \(fraction)) and has no raw counts beside it")
    }

    /// The first value that is no count (with a fraction, negative, NaN or infinite) among the first ``sampledCells`` cells, if any.
    static func firstFraction(_ source: some CellSource) throws -> Float? {
        let batch = try source.read(cells: 0..<min(source.cellCount, sampledCells))
        return batch.matrix.values.first { $0.nonNegativeFiniteBit == 0 || $0.wholeBit == 0 }
    }
}
