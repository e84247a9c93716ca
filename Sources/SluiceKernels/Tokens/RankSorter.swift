import SluiceFormats

/// Orders a cell's genes by score descending, then token ascending, and keeps the first few.
///
/// Scores are positive doubles, whose bit patterns order like their values; a gene's key is its
/// complemented score bits, so ascending keys are descending scores. The sort works on a short
/// prefix of each key: the leading `2 × digitBits` bits in which the cell's keys vary, packed
/// with the gene's index into one word and ordered by two stable counting passes (LSD radix,
/// one pass when the keys vary in fewer bits). Genes whose prefixes are equal — scores equal
/// or within a few millionths of each other — are then put in (key, token) order among
/// themselves. Exact: the order is the one `(score desc, token asc)` defines, ties included.
/// (It replaced a most-significant-digit bucketing of the full keys, an LSD radix sort that
/// made ten passes over every cell, and a comparison sort before that.)
public struct RankSorter: Sendable {
    private var tokens: [Int32] = []
    private var keys: [UInt64] = []
    private var order: [UInt64] = []
    private var spare: [UInt64] = []
    private var histograms: [UInt32]

    /// Bits of the prefix ordered by each counting pass.
    static let digitBits = 11
    /// Cells this short are put in order by comparisons alone.
    static let comparisonLimit = 48

    /// A sorter with empty working space, to be reused across cells.
    public init() {
        histograms = [UInt32](repeating: 0, count: 2 << Self.digitBits)
    }

    /// The sort key of a score (positive): ascending keys are descending scores.
    @inline(__always)
    public static func key(_ score: Double) -> UInt64 {
        precondition(score > 0, "rank scores are positive")
        return ~score.bitPattern
    }

    /// Lets `fill` write the keys (``key(_:)``) and tokens of up to `capacity` genes and return
    /// how many it wrote, then writes to `output` the tokens of the best `limit` of them, best
    /// first; returns how many (at most `limit`).
    mutating func writeTopTokens(
        capacity: Int, limit: Int, into output: UnsafeMutablePointer<Int32>,
        fill: (_ keys: UnsafeMutableBufferPointer<UInt64>, _ tokens: UnsafeMutableBufferPointer<Int32>) -> Int
    ) -> Int {
        guard capacity > 0, limit > 0 else { return 0 }
        precondition(capacity <= Int(UInt32.max), "a cell has fewer than 2³² genes")
        if keys.count < capacity {
            let size = max(capacity, 2 * keys.count)
            tokens = [Int32](repeating: 0, count: size)
            keys = [UInt64](repeating: 0, count: size)
            order = [UInt64](repeating: 0, count: size)
            spare = [UInt64](repeating: 0, count: size)
        }
        let count = keys.withUnsafeMutableBufferPointer { keys in
            tokens.withUnsafeMutableBufferPointer { tokens in
                fill(UnsafeMutableBufferPointer(rebasing: keys[0..<capacity]), UnsafeMutableBufferPointer(rebasing: tokens[0..<capacity]))
            }
        }
        precondition(count >= 0 && count <= capacity, "fill wrote at most `capacity` genes")
        guard count > 0 else { return 0 }
        let kept = min(limit, count)
        keys.withUnsafeBufferPointer { keys in
            tokens.withUnsafeBufferPointer { tokens in
                order.withUnsafeMutableBufferPointer { order in
                    let keys = keys.baseAddress!
                    let tokens = tokens.baseAddress!
                    let order = order.baseAddress!
                    if count <= Self.comparisonLimit {
                        for i in 0..<count { order[i] = UInt64(i) }
                        Self.sortRun(order, count, keys, tokens)
                        Self.gather(order, kept, tokens, into: output)
                    } else {
                        spare.withUnsafeMutableBufferPointer { spare in
                            histograms.withUnsafeMutableBufferPointer { histograms in
                                Self.sortByPrefix(order, count, keys, spare: spare.baseAddress!, histograms: histograms.baseAddress!)
                            }
                        }
                        // The order is final unless two neighbours among those kept (or the
                        // last kept and the next) share a prefix; then those runs are sorted by
                        // (key, token) and the tokens gathered again.
                        if Self.gatherNotingSharedPrefixes(order, count, kept, tokens, into: output) {
                            Self.sortEqualPrefixes(order, count, limit: kept, keys, tokens)
                            Self.gather(order, kept, tokens, into: output)
                        }
                    }
                }
            }
        }
        return kept
    }

    /// Writes to `order[0..<n]` each index `i` with its key's prefix in the high 32 bits, in
    /// ascending prefix order (ties in index order).
    private static func sortByPrefix(
        _ order: UnsafeMutablePointer<UInt64>, _ n: Int, _ keys: UnsafePointer<UInt64>,
        spare: UnsafeMutablePointer<UInt64>, histograms: UnsafeMutablePointer<UInt32>
    ) {
        var low = UInt64.max
        var high = UInt64.min
        for i in 0..<n {
            low = min(low, keys[i])
            high = max(high, keys[i])
        }
        let width = UInt64.bitWidth - (high - low).leadingZeroBitCount
        let prefixBits = min(width, 2 * digitBits)
        let shift = UInt64(width - prefixBits)
        let radix = 1 << digitBits
        let mask = UInt64(radix - 1)
        let first = histograms
        let second = histograms + radix
        first.update(repeating: 0, count: 2 * radix)
        for i in 0..<n {
            let prefix = (keys[i] &- low) >> shift
            order[i] = prefix << 32 | UInt64(i)
            first[Int(prefix & mask)] &+= 1
            second[Int(prefix >> UInt64(digitBits))] &+= 1
        }
        scatter(order, into: spare, n, digitShift: 32, mask: mask, counts: first, radix: radix)
        if prefixBits > digitBits {
            scatter(spare, into: order, n, digitShift: 32 + UInt64(digitBits), mask: mask, counts: second, radix: radix)
        } else {
            order.update(from: spare, count: n)
        }
    }

    /// Stable counting pass: `source` into `target` by the digit at `digitShift`.
    @inline(__always)
    private static func scatter(
        _ source: UnsafeMutablePointer<UInt64>, into target: UnsafeMutablePointer<UInt64>, _ n: Int,
        digitShift: UInt64, mask: UInt64, counts: UnsafeMutablePointer<UInt32>, radix: Int
    ) {
        var sum: UInt32 = 0
        for d in 0..<radix {
            let c = counts[d]
            counts[d] = sum
            sum &+= c
        }
        for i in 0..<n {
            let value = source[i]
            let d = Int((value >> digitShift) & mask)
            let slot = counts[d]
            counts[d] = slot &+ 1
            target[Int(slot)] = value
        }
    }

    /// Writes the tokens of the first `kept` indices in `order` to `output`.
    @inline(__always)
    private static func gather(
        _ order: UnsafePointer<UInt64>, _ kept: Int, _ tokens: UnsafePointer<Int32>, into output: UnsafeMutablePointer<Int32>
    ) {
        for r in 0..<kept { output[r] = tokens[Int(order[r] & 0xFFFF_FFFF)] }
    }

    /// ``gather(_:_:_:into:)``, returning whether two neighbours among the first `kept` (and the
    /// one after them) share a prefix. No branch per gene: the answer is accumulated as a bit.
    @inline(__always)
    private static func gatherNotingSharedPrefixes(
        _ order: UnsafePointer<UInt64>, _ n: Int, _ kept: Int, _ tokens: UnsafePointer<Int32>,
        into output: UnsafeMutablePointer<Int32>
    ) -> Bool {
        var previous = order[0]
        output[0] = tokens[Int(previous & 0xFFFF_FFFF)]
        var shared: UInt8 = 0
        for r in 1..<kept {
            let value = order[r]
            output[r] = tokens[Int(value & 0xFFFF_FFFF)]
            shared |= ((value ^ previous) >> 32 == 0).bit
            previous = value
        }
        if kept < n { shared |= ((order[kept] ^ previous) >> 32 == 0).bit }
        return shared != 0
    }

    /// Puts each run of equal prefixes that starts before `limit` in (key, token) order.
    private static func sortEqualPrefixes(
        _ order: UnsafeMutablePointer<UInt64>, _ n: Int, limit: Int, _ keys: UnsafePointer<UInt64>, _ tokens: UnsafePointer<Int32>
    ) {
        var start = 0
        while start < limit {
            let prefix = order[start] >> 32
            var end = start + 1
            while end < n, order[end] >> 32 == prefix { end += 1 }
            if end - start > 1 { sortRun(order + start, end - start, keys, tokens) }
            start = end
        }
    }

    /// Sorts the indices `order[0..<n]` (low 32 bits) by (key, token).
    private static func sortRun(
        _ order: UnsafeMutablePointer<UInt64>, _ n: Int, _ keys: UnsafePointer<UInt64>, _ tokens: UnsafePointer<Int32>
    ) {
        @inline(__always) func precedes(_ a: UInt64, _ b: UInt64) -> Bool {
            let ka = keys[Int(a & 0xFFFF_FFFF)]
            let kb = keys[Int(b & 0xFFFF_FFFF)]
            return ka != kb ? ka < kb : tokens[Int(a & 0xFFFF_FFFF)] < tokens[Int(b & 0xFFFF_FFFF)]
        }
        if n > 16 {
            var run = UnsafeMutableBufferPointer(start: order, count: n)
            run.sort(by: precedes)
            return
        }
        for i in 1..<n {
            let value = order[i]
            var j = i
            while j > 0, precedes(value, order[j - 1]) {
                order[j] = order[j - 1]
                j -= 1
            }
            order[j] = value
        }
    }
}
