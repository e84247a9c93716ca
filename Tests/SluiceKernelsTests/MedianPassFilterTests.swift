import SluiceFormats
import Testing

@testable import SluiceKernels

/// The pass filter keeps exactly the pairs a plain test would keep, in their order: values inside
/// `[lower, upper)` of their gene, and in refine passes only genes being refined.
@Suite("Median pass filter")
struct MedianPassFilterTests {
    @Test("keeps what the interval test keeps, in order", arguments: [false, true])
    func matchesPlainTest(refining: Bool) {
        var random = SeededGenerator(seed: refining ? 7 : 3)
        let geneCount = 50
        let lower = (0..<geneCount).map { _ in Double(random.next() % 100) / 10 }
        // Some genes resolved (an empty interval), as in a collect pass.
        let upper = lower.enumerated().map { gene, low in gene % 7 == 0 ? low : low + Double(random.next() % 40) / 10 }
        let refineSlot: [Int32] = refining ? (0..<geneCount).map { $0 % 3 == 0 ? -1 : Int32($0) } : []
        let filter = MedianPassFilter(keepsAll: false, lower: lower, upper: upper, refineSlot: refineSlot)
        var genes = (0..<5_000).map { _ in Int32(random.next() % UInt64(geneCount)) }
        // Values on the interval edges too, where < and >= matter.
        var values = genes.map { gene in
            random.next() % 4 == 0 ? (random.next() % 2 == 0 ? lower[Int(gene)] : upper[Int(gene)]) : Double(random.next() % 150) / 10
        }
        let expected = zip(genes, values).filter { gene, value in
            value >= lower[Int(gene)] && value < upper[Int(gene)] && (!refining || refineSlot[Int(gene)] >= 0)
        }
        #expect(!expected.isEmpty && expected.count < genes.count)
        let kept = genes.withUnsafeMutableBufferPointer { genes in
            values.withUnsafeMutableBufferPointer { values in filter.keep(genes: genes, values: values) }
        }
        #expect(kept == expected.count)
        #expect(Array(genes[..<kept]) == expected.map(\.0))
        #expect(Array(values[..<kept]) == expected.map(\.1))
    }

    @Test("keeps everything in the histogram pass")
    func keepsAll() {
        var genes: [Int32] = [3, 1, 2]
        var values = [0.5, 7, 1e-9]
        let kept = genes.withUnsafeMutableBufferPointer { genes in
            values.withUnsafeMutableBufferPointer { values in
                MedianPassFilter(keepsAll: true, lower: [], upper: [], refineSlot: []).keep(genes: genes, values: values)
            }
        }
        #expect(kept == 3 && genes == [3, 1, 2] && values == [0.5, 7, 1e-9])
    }
}
