import Foundation

/// Generates single-cell-like UMI counts: negative-binomial per gene, reproducible from a seed.
///
/// Gene means are log-normal (a few highly expressed genes, a long tail of rare ones); each count
/// is a gamma–Poisson draw (the negative binomial with dispersion `1/shape`), which is the
/// standard generative model of UMI counts. Used by `sluice demo` and by tests.
public struct SyntheticCounts: Sendable {
    /// Number of cells generated.
    public var cells: Int
    /// Number of genes.
    public var genes: Int
    /// Target fraction of non-zero entries (approximate).
    public var density: Double
    /// The seed every count derives from.
    public var seed: UInt64

    /// A `cells` × `genes` dataset with about `density` of entries non-zero, reproducible from `seed`.
    public init(cells: Int, genes: Int, density: Double = 0.08, seed: UInt64 = 0) {
        self.cells = cells
        self.genes = genes
        self.density = density
        self.seed = seed
    }

    /// Gene ids and symbols, with the first genes named as mitochondrial (`MT-…`).
    public func geneFrame() -> Frame {
        let ids = (0..<genes).map { String(format: "ENSG%011d", $0 + 1) }
        let symbols = (0..<genes).map { $0 < min(13, genes / 10) ? "MT-GENE\($0 + 1)" : "GENE\($0 + 1)" }
        return Frame(index: ids, indexName: "_index", columns: [FrameColumn(name: "gene_symbols", values: .strings(symbols))])
    }

    /// The columns every generated batch's obs carries.
    public static let cellSchema: [FrameColumn.Schema] = [
        .init(name: "cell_type", kind: .categorical, nullable: true),
        .init(name: "donor_id", kind: .categorical, nullable: true),
        .init(name: "n_counts", kind: .float, nullable: false),
    ]

    private static let cellTypes = ["B cell", "CD4 T cell", "CD8 T cell", "NK cell", "monocyte", "dendritic cell"]

    /// Cells `range` (deterministic: a cell's counts depend only on the seed and its position).
    public func batch(_ range: Range<Int>) -> CellBatch {
        let means = geneMeans()
        var rows = SparseRows(columnCount: genes)
        var types: [Int32] = []
        var donors: [Int32] = []
        var totals: [Double] = []
        for cell in range {
            var random = SeededGenerator(seed: seed &* 0x9E37_79B9 &+ UInt64(cell) &* 0x85EB_CA6B)
            let type = Int(random.next() % UInt64(Self.cellTypes.count))
            let size = exp(0.4 * gaussian(&random))  // library size factor
            var total = 0.0
            for gene in 0..<genes {
                // Cell types shift a block of genes up, so the data has structure to find.
                let boost = (gene / max(1, genes / Self.cellTypes.count)) == type ? 3.0 : 1.0
                let mean = means[gene] * size * boost
                let count = negativeBinomial(mean: mean, shape: 2.0, &random)
                if count > 0 {
                    rows.columns.append(Int32(gene))
                    rows.values.append(Float(count))
                    total += Double(count)
                }
            }
            rows.offsets.append(Int64(rows.values.count))
            types.append(Int32(type))
            donors.append(Int32(cell % 4))
            totals.append(total)
        }
        let obs = Frame(
            index: range.map { String(format: "cell_%07d", $0) }, indexName: "_index",
            columns: [
                FrameColumn(name: "cell_type", values: .categorical(codes: types, categories: Self.cellTypes, ordered: false)),
                FrameColumn(
                    name: "donor_id", values: .categorical(codes: donors, categories: ["D1", "D2", "D3", "D4"], ordered: false)),
                FrameColumn(name: "n_counts", values: .floats(totals)),
            ])
        return CellBatch(cells: range, matrix: rows, obs: obs)
    }

    /// Writes all cells to an h5ad file in batches of `chunk` cells.
    public func write(to path: String, chunk: Int = 2_000, options: H5ADWriter.Options = .init()) throws {
        let writer = try H5ADWriter(path: path, genes: geneFrame(), cellSchema: Self.cellSchema, options: options)
        for start in stride(from: 0, to: cells, by: chunk) {
            try writer.append(batch(start..<min(start + chunk, cells)))
        }
        try writer.close()
    }

    /// Per-gene means, log-normal, scaled so that about `density` of entries are non-zero.
    private func geneMeans() -> [Double] {
        var random = SeededGenerator(seed: seed ^ 0xD1B5_4A32_D192_ED03)
        let raw = (0..<genes).map { _ in exp(1.5 * gaussian(&random) - 2.5) }
        // P(count > 0) ≈ 1 − (1 + μ/r)^−r; find the scale that makes the average hit the target.
        var low = 1e-4
        var high = 1e3
        for _ in 0..<60 {
            let scale = (low * high).squareRoot()
            let p = raw.reduce(0) { $0 + (1 - pow(1 + $1 * scale / 2, -2)) } / Double(max(1, genes))
            if p < density { low = scale } else { high = scale }
        }
        let scale = (low * high).squareRoot()
        return raw.map { $0 * scale }
    }
}

private func gaussian(_ random: inout SeededGenerator) -> Double {
    let u = max(random.unit(), 1e-300)
    let v = random.unit()
    return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
}

/// Gamma(shape, 1) by Marsaglia–Tsang.
private func gamma(_ shape: Double, _ random: inout SeededGenerator) -> Double {
    if shape < 1 { return gamma(shape + 1, &random) * pow(max(random.unit(), 1e-300), 1 / shape) }
    let d = shape - 1.0 / 3
    let c = 1 / (9 * d).squareRoot()
    while true {
        var x: Double
        var v: Double
        repeat {
            x = gaussian(&random)
            v = 1 + c * x
        } while v <= 0
        v = v * v * v
        let u = random.unit()
        if u < 1 - 0.0331 * x * x * x * x || log(max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
    }
}

private func poisson(_ lambda: Double, _ random: inout SeededGenerator) -> Int {
    if lambda <= 0 { return 0 }
    if lambda > 30 { return max(0, Int((lambda + lambda.squareRoot() * gaussian(&random)).rounded())) }
    let limit = exp(-lambda)
    var product = random.unit()
    var count = 0
    while product > limit {
        count += 1
        product *= random.unit()
    }
    return count
}

/// A negative-binomial count with the given mean and shape (a gamma–Poisson mixture).
private func negativeBinomial(mean: Double, shape: Double, _ random: inout SeededGenerator) -> Int {
    poisson(gamma(shape, &random) * mean / shape, &random)
}
