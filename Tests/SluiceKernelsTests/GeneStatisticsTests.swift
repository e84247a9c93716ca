import Foundation
import SluiceKernels
import Testing

/// Per-gene statistics kept a chunk at a time equal one pass over every cell, in any chunking
/// and any merge order; genes a chunk did not measure keep their counts.
@Suite struct GeneStatisticsTests {
    /// Sparse cells × 3 genes: gene 2 measured only in the second half.
    private func cells(_ count: Int, seed: UInt64) -> [[Double]] {
        var state = seed
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 40) / Double(1 << 24)
        }
        return (0..<count).map { _ in (0..<3).map { _ in next() < 0.4 ? 0 : next() * 10 } }
    }

    private func add(_ rows: ArraySlice<[Double]>, measured: [Int], to statistics: inout GeneStatistics) {
        var genes: [Int32] = []
        var values: [Double] = []
        for row in rows {
            for gene in measured where row[gene] != 0 {
                genes.append(Int32(gene))
                values.append(row[gene])
            }
        }
        statistics.add(cellCount: rows.count, measured: measured, genesOfValues: genes, values: values)
    }

    @Test func chunksAndMergesEqualOnePass() {
        let rows = cells(400, seed: 3)
        var oneChunk = GeneStatistics(genes: 3)
        add(rows[0..<200], measured: [0, 1], to: &oneChunk)
        add(rows[200..<400], measured: [0, 1, 2], to: &oneChunk)
        var chunked = GeneStatistics(genes: 2)
        for start in stride(from: 0, to: 200, by: 37) { add(rows[start..<min(start + 37, 200)], measured: [0, 1], to: &chunked) }
        chunked.grow(to: 3)
        for start in stride(from: 200, to: 400, by: 64) { add(rows[start..<min(start + 64, 400)], measured: [0, 1, 2], to: &chunked) }
        for gene in 0..<3 {
            let measured = gene == 2 ? Array(rows[200...]) : rows
            let values = measured.map { $0[gene] }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            for statistics in [oneChunk, chunked] {
                #expect(statistics.cells[gene] == values.count)
                #expect(statistics.detected[gene] == values.count { $0 != 0 })
                #expect(abs(statistics.mean[gene] - mean) <= 1e-12 * mean)
                #expect(abs(statistics.variance[gene] - variance) <= 1e-12 * variance)
            }
        }
        // Merged the other way round: the same to rounding.
        var reversed = GeneStatistics(genes: 3)
        for gene in 0..<3 { reversed.merge(chunked, gene: gene, into: 2 - gene) }
        #expect(reversed.cells == Array(chunked.cells.reversed()))
        #expect(zip(reversed.mean, chunked.mean.reversed()).allSatisfy { $0 == $1 })
    }
}
