import Foundation

/// A mergeable sketch of each gene's positive values whose median is known to a stated relative
/// error: corpus-wide medians over datasets that are never on disk together.
///
/// Values are counted in logarithmic buckets — bucket `k` holds the values in `(γ^(k−1), γ^k]`,
/// with `γ = (1 + α) / (1 − α)` — and a bucket stands for `2γ^k / (γ + 1)`, which is within a
/// relative `α` of every value in it (Masson et al., "DDSketch", VLDB 2019). The median is read
/// as `numpy.median` reads it, from the middle rank (the mean of the two middle ranks for an even
/// count), so it is within `α` of the exact median. Unlike a t-digest, the sketch is the same
/// whatever the order of the values or of the merges: datasets digested on any worker, in any
/// order, give the same medians to the bit. It is exact only in that sense, not in value: an
/// exact corpus median would need a second pass over every dataset (fetching each again).
public struct MedianDigest: Sendable, Hashable {
    /// The relative error of every median, `α`.
    public let relativeError: Double
    /// Each gene's counts of values per bucket, for the buckets from its `first` on — exactly the
    /// span from its lowest to its highest bucket with a value (so equal contents are equal
    /// digests), indexed directly: no hashing in the hot loop.
    private var counts: [[UInt32]]
    private var first: [Int32]
    private let logGamma: Double

    /// 0.1 %: buckets 0.2 % wide; a gene's values over seven orders of magnitude span at most
    /// ~8,000 buckets, and real genes' far fewer.
    public static let defaultRelativeError = 0.001

    /// An empty digest of `genes` genes.
    public init(genes: Int, relativeError: Double = Self.defaultRelativeError) {
        precondition(relativeError > 0 && relativeError < 1, "the relative error is between 0 and 1")
        self.relativeError = relativeError
        logGamma = Foundation.log((1 + relativeError) / (1 - relativeError))
        counts = Array(repeating: [], count: genes)
        first = Array(repeating: 0, count: genes)
    }

    /// A digest of the given buckets (read back from a file): per gene, (bucket, count) pairs.
    public init(buckets: [[(index: Int32, count: UInt32)]], relativeError: Double) {
        self.init(genes: buckets.count, relativeError: relativeError)
        for (gene, pairs) in buckets.enumerated() { for (index, count) in pairs { add(gene: gene, bucket: index, count: count) } }
    }

    /// Adds genes without values after the existing ones, up to `genes`.
    public mutating func grow(to genes: Int) {
        guard genes > counts.count else { return }
        counts += Array(repeating: [], count: genes - counts.count)
        first += Array(repeating: 0, count: genes - first.count)
    }

    /// How many genes the digest holds.
    public var genes: Int { counts.count }

    /// The buckets of `gene` that hold values, in ascending order, with their counts.
    public func buckets(gene: Int) -> [(index: Int32, count: UInt32)] {
        counts[gene].enumerated().compactMap { offset, count in count == 0 ? nil : (first[gene] + Int32(offset), count) }
    }

    /// The bucket of a positive value.
    @inline(__always)
    public func bucket(of value: Double) -> Int32 {
        Int32((Foundation.log(value) / logGamma).rounded(.up))
    }

    /// The value bucket `index` stands for.
    public func representative(of index: Int32) -> Double {
        let gamma = Foundation.exp(logGamma)
        return 2 * Foundation.exp(Double(index) * logGamma) / (gamma + 1)
    }

    /// Counts `value` (positive, finite) for `gene`.
    @inline(__always)
    public mutating func add(gene: Int, value: Double) {
        add(gene: gene, bucket: bucket(of: value), count: 1)
    }

    /// Counts one value of gene `genes[k]` in bucket `buckets[k]` (``bucket(of:)``), for every `k`.
    ///
    /// The values are grouped by gene first (a counting sort), so each gene's span is widened
    /// once and its buckets counted through one pointer, with no check per value.
    public mutating func add(genes: [Int32], buckets: [Int32]) {
        precondition(genes.count == buckets.count, "a bucket per value")
        var starts = [Int](repeating: 0, count: counts.count + 1)
        for gene in genes { starts[Int(gene) + 1] += 1 }
        for gene in counts.indices { starts[gene + 1] += starts[gene] }
        var grouped = [Int32](repeating: 0, count: buckets.count)
        var next = starts
        for k in genes.indices {
            let gene = Int(genes[k])
            grouped[next[gene]] = buckets[k]
            next[gene] += 1
        }
        for gene in counts.indices where starts[gene + 1] > starts[gene] {
            let values = grouped[starts[gene]..<starts[gene + 1]]
            widen(gene: gene, lowest: values.min()!, highest: values.max()!)
            let lower = first[gene]
            counts[gene].withUnsafeMutableBufferPointer { span in
                for index in values { span[Int(index - lower)] += 1 }
            }
        }
    }

    /// Widens `gene`'s span to hold the buckets from `lowest` to `highest`.
    private mutating func widen(gene: Int, lowest: Int32, highest: Int32) {
        if counts[gene].isEmpty {
            first[gene] = lowest
            counts[gene] = Array(repeating: 0, count: Int(highest - lowest) + 1)
            return
        }
        if lowest < first[gene] {
            counts[gene].insert(contentsOf: repeatElement(0, count: Int(first[gene] - lowest)), at: 0)
            first[gene] = lowest
        }
        let last = first[gene] + Int32(counts[gene].count) - 1
        if highest > last { counts[gene].append(contentsOf: repeatElement(0, count: Int(highest - last))) }
    }

    /// Adds `count` values in bucket `index` (``bucket(of:)``) to `gene`, widening its span when
    /// the bucket lies outside it.
    @inline(__always)
    public mutating func add(gene: Int, bucket index: Int32, count: UInt32) {
        let lower = first[gene]
        let width = counts[gene].count
        if width == 0 {
            first[gene] = index
            counts[gene] = [count]
        } else if index < lower {
            counts[gene].insert(contentsOf: repeatElement(0, count: Int(lower - index)), at: 0)
            counts[gene][0] = count
            first[gene] = index
        } else if Int(index - lower) >= width {
            counts[gene].append(contentsOf: repeatElement(0, count: Int(index - lower) - width + 1))
            counts[gene][Int(index - lower)] = count
        } else {
            counts[gene][Int(index - lower)] += count
        }
    }

    /// Adds `other`'s counts of gene `from` to this digest's gene `to`.
    public mutating func merge(_ other: MedianDigest, gene from: Int, into to: Int) {
        precondition(other.relativeError == relativeError, "digests of one relative error merge")
        for (index, count) in other.buckets(gene: from) { add(gene: to, bucket: index, count: count) }
    }

    /// How many values `gene` has.
    public func count(gene: Int) -> Int { counts[gene].reduce(0) { $0 + Int($1) } }

    /// The median of `gene`'s values, within ``relativeError``; nil when it has none.
    public func median(gene: Int) -> Double? {
        let count = self.count(gene: gene)
        guard count > 0 else { return nil }
        /// The bucket of the value at 0-based `rank`.
        func bucket(at rank: Int) -> Int32 {
            var seen = 0
            for (offset, number) in counts[gene].enumerated() {
                seen += Int(number)
                if seen > rank { return first[gene] + Int32(offset) }
            }
            return first[gene] + Int32(counts[gene].count - 1)
        }
        let upper = representative(of: bucket(at: count / 2))
        return count % 2 == 1 ? upper : (representative(of: bucket(at: count / 2 - 1)) + upper) / 2
    }
}
