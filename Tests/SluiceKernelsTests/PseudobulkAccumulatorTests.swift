import SluiceFormats
import SluiceKernels
import Testing

/// The pseudobulk kernels on small hand-made matrices: exact sums and counts, chunking that does
/// not change anything, and the hashed Poisson bootstrap (the same numbers as
/// `scripts/reference/make_pseudobulk_reference.py`'s independent Python version).
@Suite struct PseudobulkAccumulatorTests {
    /// 5 cells × 4 genes; gene 3 is all zero; cell 2 stores an explicit zero for gene 1.
    static let dense: [[Float]] = [
        [1, 0, 2, 0],
        [0, 3, 0, 0],
        [4, 0, 5, 0],
        [0, 0, 0, 0],
        [7, 8, 0, 0],
    ]

    static func rows(_ cells: Range<Int>, storeZeroAt zero: (cell: Int, gene: Int)? = (2, 1)) -> SparseRows {
        var offsets: [Int64] = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        for cell in cells {
            for (gene, value) in dense[cell].enumerated() where value != 0 || (zero.map { $0 == (cell, gene) } ?? false) {
                columns.append(Int32(gene))
                values.append(value)
            }
            offsets.append(Int64(values.count))
        }
        return SparseRows(offsets: offsets, columns: columns, values: values, columnCount: 4)
    }

    @Test("sums, non-zero cells, cell counts and totals per group")
    func sumsAndCounts() {
        var accumulator = PseudobulkAccumulator(geneCount: 4)
        accumulator.addGroup()
        accumulator.addGroup()
        accumulator.addGroup()
        // cells 0, 2 → group 0; cell 1 → group 1 (one cell); cell 3 dropped; cell 4 → group 0; group 2 empty
        accumulator.add(Self.rows(0..<5), groups: [0, 1, 0, -1, 0])
        #expect(accumulator.sums == [[12, 8, 7, 0], [0, 3, 0, 0], [0, 0, 0, 0]])
        #expect(accumulator.nonzeroCells == [[3, 1, 2, 0], [0, 1, 0, 0], [0, 0, 0, 0]])  // the stored zero is not counted
        #expect(accumulator.cellCounts == [3, 1, 0])
        #expect(accumulator.totalCounts == [27, 3, 0])
        #expect(accumulator.means(0) == [4, 8.0 / 3, 7.0 / 3, 0])
        #expect(accumulator.means(1) == [0, 3, 0, 0])
        #expect(accumulator.means(2).allSatisfy { $0.isNaN })
    }

    @Test("the same sums whatever the chunk size", arguments: [1, 2, 3, 5])
    func chunkSizeDoesNotMatter(chunk: Int) {
        let groups: [Int32] = [1, 0, 1, 0, -1]
        var whole = PseudobulkAccumulator(geneCount: 4)
        var chunked = PseudobulkAccumulator(geneCount: 4)
        for _ in 0..<2 {
            whole.addGroup()
            chunked.addGroup()
        }
        whole.add(Self.rows(0..<5), groups: groups)
        for start in stride(from: 0, to: 5, by: chunk) {
            let range = start..<min(5, start + chunk)
            chunked.add(Self.rows(range), groups: Array(groups[range]))
        }
        #expect(whole.sums == chunked.sums)
        #expect(whole.nonzeroCells == chunked.nonzeroCells)
        #expect(whole.cellCounts == chunked.cellCounts)
        #expect(whole.totalCounts == chunked.totalCounts)
    }

    @Test("Poisson multiplicities equal the reference script's")
    func multiplicitiesMatchPython() {
        // README.md of Tests/Fixtures/pseudobulk: seed 7, cells 0–2, replicates 0–4 (cell-major).
        let bootstrap = PoissonBootstrap(seed: 7, replicates: 5)
        let ours = (0..<3).flatMap { cell in (0..<5).map { bootstrap.multiplicity(replicate: $0, cell: cell) } }
        #expect(ours == [1, 1, 1, 1, 2, 3, 2, 1, 0, 0, 0, 0, 1, 0, 1])
        // The batch form gives the same numbers.
        var weights = [Double](repeating: -1, count: 5)
        weights.withUnsafeMutableBufferPointer { bootstrap.weights(cell: 1, into: $0) }
        #expect(weights == [3, 2, 1, 0, 0])
        #expect(PoissonBootstrap.splitmix64(0) == 0xE220_A839_7B1D_CDAF)  // Vigna's splitmix64.c, first output for state 0
    }

    @Test("multiplicities are Poisson(1): mean 1, variance 1, P(0) = 1/e")
    func multiplicitiesArePoisson() {
        let bootstrap = PoissonBootstrap(seed: 12_345, replicates: 20)
        var counts = [Int](repeating: 0, count: PoissonBootstrap.maximumMultiplicity + 1)
        let draws = 200_000
        for i in 0..<draws { counts[bootstrap.multiplicity(replicate: i % 20, cell: i / 20)] += 1 }
        let mean = counts.enumerated().reduce(0.0) { $0 + Double($1.offset * $1.element) } / Double(draws)
        let variance =
            counts.enumerated().reduce(0.0) { $0 + Double($1.element) * (Double($1.offset) - mean) * (Double($1.offset) - mean) }
            / Double(draws)
        #expect(abs(mean - 1) < 0.01)
        #expect(abs(variance - 1) < 0.02)
        #expect(abs(Double(counts[0]) / Double(draws) - 0.36787944117144233) < 0.004)
    }

    @Test("percentiles follow numpy's linear rule")
    func percentiles() {
        // numpy.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) = [1.075, 2.5, 3.925]
        #expect(abs(BootstrapSummary.percentile(sorted: [1, 2, 3, 4], 2.5) - 1.075) < 1e-15)
        #expect(BootstrapSummary.percentile(sorted: [1, 2, 3, 4], 50) == 2.5)
        #expect(abs(BootstrapSummary.percentile(sorted: [1, 2, 3, 4], 97.5) - 3.925) < 1e-15)
        #expect(BootstrapSummary.percentile(sorted: [5], 2.5) == 5)
        #expect(BootstrapSummary.percentile(sorted: [], 2.5).isNaN)
    }

    @Test("bootstrap replicates do not depend on the chunk size")
    func bootstrapChunking() {
        let groups: [Int32] = [0, 1, 0, -1, 0]
        let scheme = PoissonBootstrap(seed: 3, replicates: 30)
        var whole = BootstrapAccumulator(bootstrap: scheme, geneCount: 4)
        var chunked = BootstrapAccumulator(bootstrap: scheme, geneCount: 4)
        for _ in 0..<2 {
            whole.addGroup()
            chunked.addGroup()
        }
        whole.add(Self.rows(0..<5), groups: groups, firstCell: 0)
        for start in stride(from: 0, to: 5, by: 2) {
            let range = start..<min(5, start + 2)
            chunked.add(Self.rows(range), groups: Array(groups[range]), firstCell: start)
        }
        for g in 0..<2 { #expect(whole.summary(group: g) == chunked.summary(group: g)) }
    }

    @Test("a one-cell group: every replicate that draws it has the cell's values; the others are skipped")
    func oneCellGroup() {
        let scheme = PoissonBootstrap(seed: 11, replicates: 50)
        var accumulator = BootstrapAccumulator(bootstrap: scheme, geneCount: 4)
        accumulator.addGroup()
        accumulator.add(Self.rows(4..<5), groups: [0], firstCell: 4)
        let summary = accumulator.summary(group: 0)
        let drawn = (0..<50).count { scheme.multiplicity(replicate: $0, cell: 4) > 0 }
        #expect(summary.validReplicates == drawn)
        #expect(drawn > 0 && drawn < 50)
        #expect(summary.mean == [7, 8, 0, 0])
        #expect(summary.lower == [7, 8, 0, 0])
        #expect(summary.upper == [7, 8, 0, 0])
    }

    @Test("bootstrap means are weighted means of the group's cells")
    func bootstrapMeansByHand() {
        let scheme = PoissonBootstrap(seed: 5, replicates: 8)
        var accumulator = BootstrapAccumulator(bootstrap: scheme, geneCount: 4)
        accumulator.addGroup()
        accumulator.add(Self.rows(0..<5), groups: [0, 0, 0, 0, 0], firstCell: 100)
        var means: [[Double]] = []
        for r in 0..<8 {
            let w = (0..<5).map { Double(scheme.multiplicity(replicate: r, cell: 100 + $0)) }
            let drawn = w.reduce(0, +)
            guard drawn > 0 else { continue }
            means.append((0..<4).map { j in (0..<5).reduce(0.0) { $0 + w[$1] * Double(Self.dense[$1][j]) } / drawn })
        }
        let summary = accumulator.summary(group: 0)
        #expect(summary.validReplicates == means.count)
        for j in 0..<4 {
            let expected = means.reduce(0.0) { $0 + $1[j] } / Double(means.count)
            #expect(abs(summary.mean[j] - expected) < 1e-12)
            let sorted = means.map { $0[j] }.sorted()
            #expect(summary.lower[j] == BootstrapSummary.percentile(sorted: sorted, 2.5))
            #expect(summary.upper[j] == BootstrapSummary.percentile(sorted: sorted, 97.5))
        }
    }
}
