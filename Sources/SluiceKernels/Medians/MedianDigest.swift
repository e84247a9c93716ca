public import Foundation

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
    /// Each gene's buckets: index → count of values.
    public private(set) var buckets: [[Int32: UInt32]]
    private let logGamma: Double

    /// 0.1 %: buckets 0.2 % wide; a gene's values over seven orders of magnitude take at most
    /// ~8,000 buckets, and real genes' far fewer.
    public static let defaultRelativeError = 0.001

    /// An empty digest of `genes` genes.
    public init(genes: Int, relativeError: Double = Self.defaultRelativeError) {
        precondition(relativeError > 0 && relativeError < 1, "the relative error is between 0 and 1")
        self.relativeError = relativeError
        logGamma = Foundation.log((1 + relativeError) / (1 - relativeError))
        buckets = Array(repeating: [:], count: genes)
    }

    /// A digest of the given buckets (read back from a file).
    public init(buckets: [[Int32: UInt32]], relativeError: Double) {
        self.init(genes: 0, relativeError: relativeError)
        self.buckets = buckets
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
        buckets[gene][bucket(of: value), default: 0] += 1
    }

    /// Adds `other`'s counts of gene `from` to this digest's gene `to`.
    public mutating func merge(_ other: MedianDigest, gene from: Int, into to: Int) {
        precondition(other.relativeError == relativeError, "digests of one relative error merge")
        buckets[to].merge(other.buckets[from], uniquingKeysWith: +)
    }

    /// How many values `gene` has.
    public func count(gene: Int) -> Int { buckets[gene].values.reduce(0) { $0 + Int($1) } }

    /// The median of `gene`'s values, within ``relativeError``; nil when it has none.
    public func median(gene: Int) -> Double? {
        let count = self.count(gene: gene)
        guard count > 0 else { return nil }
        let ordered = buckets[gene].sorted { $0.key < $1.key }
        /// The bucket of the value at 0-based `rank`.
        func bucket(at rank: Int) -> Int32 {
            var seen = 0
            for (index, number) in ordered {
                seen += Int(number)
                if seen > rank { return index }
            }
            return ordered.last!.key
        }
        let upper = representative(of: bucket(at: count / 2))
        return count % 2 == 1 ? upper : (representative(of: bucket(at: count / 2 - 1)) + upper) / 2
    }
}
