import SluiceFormats
import SluiceKernels
import Testing

/// The streamed median equals the exact median of all values, whatever the data and the budget.
@Suite("Exact non-zero medians in bounded memory")
struct NonzeroMedianEstimatorTests {
    static func exactMedian(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// Runs the estimator over `values` (gene, value) until done; returns medians and pass count.
    static func estimate(_ values: [(Int, Double)], genes: Int, budget: Int) -> ([Double?], Int) {
        let estimator = NonzeroMedianEstimator(geneCount: genes, valueBudget: budget)
        repeat {
            for (gene, value) in values { estimator.add(gene: gene, value: value) }
        } while estimator.finishPass()
        return (estimator.medians, estimator.passes)
    }

    @Test("matches the sorted median for random data and budgets", arguments: [1, 7, 100, 1 << 20])
    func randomData(budget: Int) {
        var random = SeededGenerator(seed: UInt64(budget))
        let genes = 40
        var values: [(Int, Double)] = []
        for gene in 0..<genes {
            let n = gene == 3 ? 0 : Int(random.next() % 500)
            for _ in 0..<n {
                // Counts over totals, as normalized expression is: many exact ties.
                let count = Double(1 + random.next() % 6)
                let total = Double(800 + random.next() % 40)
                values.append((gene, (count * 10000) / total))
            }
        }
        values.shuffle(using: &random)
        let (medians, passes) = Self.estimate(values, genes: genes, budget: budget)
        for gene in 0..<genes {
            let exact = Self.exactMedian(values.filter { $0.0 == gene }.map(\.1))
            #expect(medians[gene] == exact, "gene \(gene), budget \(budget)")
        }
        #expect(passes >= 1)
        if budget == 1 << 20 { #expect(passes == 2, "a generous budget needs one histogram and one collect pass") }
    }

    /// Large adds are counted by two threads, each on its own half of the gene blocks; every
    /// phase (histogram, refine, collect) must still give the sorted median.
    @Test("large adds, counted on two threads, match the sorted median", arguments: [5_000, 1 << 24])
    func largeAdds(budget: Int) {
        var random = SeededGenerator(seed: 11)
        let genes = 700
        var geneOf: [Int32] = []
        var valueOf: [Double] = []
        // Totals in a narrow range put many values in each median's bin: the collect pass
        // gathers more than 2^16 of them, so it sorts on two threads too.
        for _ in 0..<600_000 {
            let gene = Int32(random.next() % UInt64(genes))
            let count = Double(1 + random.next() % 5)
            geneOf.append(gene)
            valueOf.append((count * 10000) / Double(500 + random.next() % 40))
        }
        let estimator = NonzeroMedianEstimator(geneCount: genes, valueBudget: budget)
        repeat {
            for part in stride(from: 0, to: geneOf.count, by: 200_000) {
                geneOf[part..<(part + 200_000)].withUnsafeBufferPointer { g in
                    valueOf[part..<(part + 200_000)].withUnsafeBufferPointer { v in estimator.add(genes: g, values: v) }
                }
            }
        } while estimator.finishPass()
        var byGene = [[Double]](repeating: [], count: genes)
        for (gene, value) in zip(geneOf, valueOf) { byGene[Int(gene)].append(value) }
        let medians = estimator.medians
        #expect((0..<genes).allSatisfy { medians[$0] == Self.exactMedian(byGene[$0]) })
        #expect(budget == 1 << 24 ? estimator.passes == 2 : estimator.passes > 2, "passes: \(estimator.passes)")
    }

    /// Gene 4's middle values lie in the open-ended top bin (≥ 2⁴⁰), which is collected rather
    /// than refined, even over budget.
    @Test("all-equal values, extreme magnitudes and single values")
    func edgeCases() {
        let values: [(Int, Double)] =
            Array(repeating: (0, 5.0), count: 1000) + [(1, 1e-30), (1, 1e30), (1, 3.0), (2, 42.0)]
            + (0..<999).map { (3, Double($0) * 1e-3 + 1e-12) }
            + (1...40).map { (4, Double($0) * 1e20) }
        let (medians, _) = Self.estimate(values, genes: 6, budget: 2)
        #expect(medians[0] == 5.0)
        #expect(medians[1] == 3.0)
        #expect(medians[2] == 42.0)
        #expect(medians[3] == Self.exactMedian(values.filter { $0.0 == 3 }.map(\.1)))
        #expect(medians[4] == 20.5e20)
        #expect(medians[5] == nil)
    }

    /// Several parts in one add (as the converter's workers hand them over), each holding cells
    /// whose genes ascend, so values come in runs of one gene block: the same medians as one
    /// value at a time, in every phase.
    @Test("parts of ascending genes give the medians of single adds", arguments: [3_000, 1 << 24])
    func parts(budget: Int) {
        var random = SeededGenerator(seed: 21)
        let genes = 1_000
        var parts: [(genes: [Int32], values: [Double])] = []
        for _ in 0..<5 {
            var part: (genes: [Int32], values: [Double]) = ([], [])
            for _ in 0..<200 {
                let total = Double(900 + random.next() % 300)
                for gene in 0..<genes where random.next() % 4 == 0 {
                    part.genes.append(Int32(gene))
                    part.values.append((Double(1 + random.next() % 5) * 10000) / total)
                }
            }
            parts.append(part)
        }
        let estimator = NonzeroMedianEstimator(geneCount: genes, valueBudget: budget)
        repeat {
            func add(_ index: Int, _ pointers: [(genes: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Double>)]) {
                guard index < parts.count else { return estimator.add(pointers) }
                parts[index].genes.withUnsafeBufferPointer { g in
                    parts[index].values.withUnsafeBufferPointer { v in add(index + 1, pointers + [(g, v)]) }
                }
            }
            add(0, [])
        } while estimator.finishPass()
        let single = Self.estimate(parts.flatMap { zip($0.genes, $0.values).map { (Int($0), $1) } }, genes: genes, budget: budget)
        #expect(estimator.medians == single.0)
        #expect(budget == 1 << 24 ? estimator.passes == 2 : estimator.passes > 2, "passes: \(estimator.passes)")
    }
}
