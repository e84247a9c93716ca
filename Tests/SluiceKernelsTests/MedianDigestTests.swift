import Foundation
import SluiceFormats
import SluiceKernels
import Testing

/// Corpus-wide medians from digests: within the stated relative error of `numpy.median`'s exact
/// value, and the same sketch whatever order the values and the merges come in.
@Suite struct MedianDigestTests {
    /// numpy.median: the middle value, or the mean of the two middle values.
    private func exactMedian(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// Normalized expression as the corpus builder makes it: small counts over cells of varied totals.
    private func values(_ count: Int, seed: UInt64) -> [Double] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let x = Double(1 + Int(random.next() % 40) * Int(random.next() % 3 == 0 ? 5 : 1))
            let n = Double(500 + Int(random.next() % 20_000))
            return (x * 10000) / n
        }
    }

    @Test(arguments: [0.001, 0.01]) func theMedianIsWithinTheStatedError(relativeError: Double) {
        for (gene, count) in [1, 2, 7, 100, 5_001, 40_000].enumerated() {
            let sample = values(count, seed: UInt64(gene))
            var digest = MedianDigest(genes: 1, relativeError: relativeError)
            for value in sample { digest.add(gene: 0, value: value) }
            let median = try! #require(digest.median(gene: 0))
            let exact = exactMedian(sample)
            #expect(abs(median - exact) <= relativeError * exact * (1 + 1e-12), "\(count) values: \(median) vs \(exact)")
        }
        #expect(MedianDigest(genes: 1).median(gene: 0) == nil)
    }

    /// Three datasets' digests merged in any order equal one digest of all their values, which
    /// is the same whatever order the values came in.
    @Test func mergesAreTheSameInAnyOrder() {
        let parts = (0..<3).map { values(2_000 + 500 * $0, seed: UInt64(10 + $0)) }
        let digests = parts.map { part -> MedianDigest in
            var digest = MedianDigest(genes: 1)
            for value in part { digest.add(gene: 0, value: value) }
            return digest
        }
        var whole = MedianDigest(genes: 1)
        for value in parts.joined().reversed() { whole.add(gene: 0, value: value) }
        for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
            var merged = MedianDigest(genes: 1)
            for index in order { merged.merge(digests[index], gene: 0, into: 0) }
            #expect(merged == whole)
        }
        let exact = exactMedian(Array(parts.joined()))
        #expect(abs(whole.median(gene: 0)! - exact) <= 0.001 * exact)
    }

    /// Values counted a batch at a time (grouped by gene, each span widened once, down as well
    /// as up) give the digest counting them one at a time gives.
    @Test func batchesCountAsSingleValuesDo() {
        var random = SeededGenerator(seed: 7)
        var single = MedianDigest(genes: 5)
        var batched = MedianDigest(genes: 5)
        for batch in 0..<4 {
            let sample = values(3_000, seed: UInt64(20 + batch))
            // Later batches reach further down, so spans grow at both ends.
            let genes = sample.map { _ in Int32(random.next() % 4) }
            let scaled = sample.map { $0 / Double(1 << (3 * batch)) }
            for (gene, value) in zip(genes, scaled) { single.add(gene: Int(gene), value: value) }
            batched.add(genes: genes, buckets: scaled.map { batched.bucket(of: $0) })
            #expect(batched == single, "after batch \(batch)")
        }
        #expect(batched.count(gene: 4) == 0 && batched.median(gene: 4) == nil)
    }
}
