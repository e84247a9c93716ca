import SluiceFormats
import SluiceKernels
import Testing

/// The tokenizer's ordering equals a plain sort by (score desc, token asc), ties included.
@Suite("Rank-value ordering")
struct RankValueOrderingTests {
    @Test("random scores with many ties", arguments: [0, 1, 5, 17, 200, 3000])
    func ordering(count: Int) {
        var random = SeededGenerator(seed: UInt64(count))
        let slots = (0..<count).map { Int32($0) }
        let counts = (0..<count).map { _ in Double(1 + random.next() % 4) }
        let medians = (0..<count).map { _ in Double(1 + random.next() % 3) }
        let tokens = (0..<count).map { Int32($0 * 7 % max(1, count) + 4) }
        let tokenizer = RankValueTokenizer(topGenes: max(1, count / 2), medians: medians, tokenOfSlot: tokens)
        var sorter = RankSorter()
        var output: [Int32] = []
        tokenizer.appendTokens(slots: slots, counts: counts, total: 1000, sorter: &sorter, to: &output)
        var pairs: [(score: Double, token: Int32)] = []
        for i in 0..<count {
            let score: Double = RankValueTokenizer.normalized(counts[i], total: 1000) / medians[i]
            pairs.append((score, tokens[i]))
        }
        pairs.sort { $0.score != $1.score ? $0.score > $1.score : $0.token < $1.token }
        let expected: [Int32] = pairs.prefix(max(1, count / 2)).map { $0.token }
        #expect(output == expected)
    }

    /// Scores in tight clusters (the medians of one count level barely differ), some exactly
    /// equal, cells longer than the limit and shorter, slots not in token order: the bucketing
    /// recurses into crowded buckets and stops past the limit.
    @Test("clustered continuous scores", arguments: [(30, 2048), (1_600, 2048), (5_000, 2048), (5_000, 300), (8_000, 8_000)])
    func clustered(count: Int, limit: Int) {
        var random = SeededGenerator(seed: UInt64(count + limit))
        let slots = (0..<count).map { Int32($0) }.shuffled(using: &random)
        let counts = (0..<count).map { _ in Double(1 + random.next() % 3) }
        let medians = (0..<count).map { i in
            i % 10 == 0 ? 2.5 : 2.5 * (1 + Double(random.next() % 1_000_000) / 1e7)
        }
        let tokens = (0..<count).map { Int32(($0 * 7_919) % count + 4) }
        let tokenizer = RankValueTokenizer(topGenes: limit, medians: medians, tokenOfSlot: tokens)
        var sorter = RankSorter()
        var output: [Int32] = []
        // Twice, so the reused working space is checked as well.
        for _ in 0..<2 {
            output.removeAll()
            tokenizer.appendTokens(slots: slots, counts: slots.map { counts[Int($0)] }, total: 1234, sorter: &sorter, to: &output)
        }
        let pairs = (0..<count).map { i in (score: RankValueTokenizer.normalized(counts[i], total: 1234) / medians[i], token: tokens[i]) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.token < $1.token }
        #expect(output == pairs.prefix(limit).map(\.token))
    }

    /// Scores a few units in the last place apart (one counting pass; most genes share their
    /// key's prefix with others), and cells short enough to be sorted by comparisons alone.
    @Test("scores a few ulps apart", arguments: [(10, 5), (48, 48), (49, 20), (700, 2048), (3_000, 1_000)])
    func ulpsApart(count: Int, limit: Int) {
        var random = SeededGenerator(seed: UInt64(count * 31 + limit))
        let slots = (0..<count).map { Int32($0) }.shuffled(using: &random)
        let medians = (0..<count).map { _ in
            var median = 2.5
            for _ in 0..<(random.next() % 900) { median = median.nextUp }
            return median
        }
        let tokens = (0..<count).map { Int32(($0 * 7_919) % count + 4) }
        let tokenizer = RankValueTokenizer(topGenes: limit, medians: medians, tokenOfSlot: tokens)
        var sorter = RankSorter()
        var output: [Int32] = []
        tokenizer.appendTokens(slots: slots, counts: slots.map { _ in 1 }, total: 4000, sorter: &sorter, to: &output)
        let pairs = (0..<count).map { i in (score: RankValueTokenizer.normalized(1, total: 4000) / medians[i], token: tokens[i]) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.token < $1.token }
        #expect(output == pairs.prefix(limit).map(\.token))
    }
}

extension RankValueTokenizer {
    /// The tokenizer on arrays (it takes buffers, as the converter's workers hold them),
    /// appending to `output`.
    func appendTokens(slots: [Int32], counts: [Double], total: Double, sorter: inout RankSorter, to output: inout [Int32]) {
        var written = [Int32](repeating: -1, count: slots.count + 1)
        let count = slots.withUnsafeBufferPointer { slots in
            counts.withUnsafeBufferPointer { counts in
                written.withUnsafeMutableBufferPointer { written in
                    writeTokens(slots: slots, counts: counts, total: total, sorter: &sorter, into: written.baseAddress!)
                }
            }
        }
        #expect(count == min(slots.count, topGenes))
        #expect(written[count] == -1, "nothing written past the count returned")
        output += written[0..<count]
    }
}
