/// Orders a cell's genes by score descending, then token ascending, and keeps the first few.
///
/// Scores are positive doubles, whose bit patterns order like their values; a gene's key is its
/// complemented score bits, so ascending keys are descending scores. The keys are spread over
/// up to 2,048 buckets by their leading varying bits (one counting pass, stable), buckets are
/// visited in order, and each is finished by insertion sort on (key, token) when small or by
/// the same bucketing on its own key range when large; keys all equal sort by token alone.
/// Buckets past the `limit`-th gene are never sorted. Exact: the order is the one
/// `(score desc, token asc)` defines, ties included. (It replaced an LSD radix sort that made
/// ten passes over every cell, and a comparison sort before that.)
public struct RankSorter: Sendable {
    private var scores: [Double] = []
    private var keys: [UInt64] = []
    private var tokens: [Int32] = []
    private var spareKeys: [UInt64] = []
    private var spareTokens: [Int32] = []

    /// Ranges at most this long are insertion-sorted.
    static let insertionLimit = 24
    /// Bits of a key used per bucketing step (2,048 buckets).
    static let bucketBits = 11

    public init() {}

    /// Lets `fill` write `count` scores (positive) and their tokens, then appends to `output`
    /// the tokens of the best `limit` of them, best first.
    mutating func appendTopTokens(
        count: Int, limit: Int, to output: inout [Int32],
        fill: (_ scores: UnsafeMutableBufferPointer<Double>, _ tokens: UnsafeMutableBufferPointer<Int32>) -> Void
    ) {
        guard count > 0, limit > 0 else { return }
        if keys.count < count {
            let capacity = max(count, 2 * keys.count)
            scores = [Double](repeating: 0, count: capacity)
            keys = [UInt64](repeating: 0, count: capacity)
            tokens = [Int32](repeating: 0, count: capacity)
            spareKeys = [UInt64](repeating: 0, count: capacity)
            spareTokens = [Int32](repeating: 0, count: capacity)
        }
        let kept = min(limit, count)
        scores.withUnsafeMutableBufferPointer { scores in
            tokens.withUnsafeMutableBufferPointer { tokens in
                fill(UnsafeMutableBufferPointer(rebasing: scores[0..<count]), UnsafeMutableBufferPointer(rebasing: tokens[0..<count]))
            }
        }
        keys.withUnsafeMutableBufferPointer { keys in
            tokens.withUnsafeMutableBufferPointer { tokens in
                spareKeys.withUnsafeMutableBufferPointer { spareKeys in
                    spareTokens.withUnsafeMutableBufferPointer { spareTokens in
                        scores.withUnsafeBufferPointer { scores in
                            for i in 0..<count {
                                precondition(scores[i] > 0, "rank scores are positive")
                                keys[i] = ~scores[i].bitPattern
                            }
                        }
                        Self.sort(
                            keys.baseAddress!, tokens.baseAddress!, count, limit: kept,
                            spareKeys: spareKeys.baseAddress!, spareTokens: spareTokens.baseAddress!)
                    }
                }
                output.append(contentsOf: tokens[0..<kept])
            }
        }
    }

    /// Sorts `keys[0..<n]` (with their tokens) by (key, token), at least the first `limit`.
    private static func sort(
        _ keys: UnsafeMutablePointer<UInt64>, _ tokens: UnsafeMutablePointer<Int32>, _ n: Int, limit: Int,
        spareKeys: UnsafeMutablePointer<UInt64>, spareTokens: UnsafeMutablePointer<Int32>
    ) {
        if n <= insertionLimit {
            insertionSort(keys, tokens, n)
            return
        }
        var low = UInt64.max
        var high = UInt64.min
        for i in 0..<n {
            low = min(low, keys[i])
            high = max(high, keys[i])
        }
        if low == high {
            var equalKeys = UnsafeMutableBufferPointer(start: tokens, count: n)
            equalKeys.sort()
            return
        }
        let width = UInt64.bitWidth - (high - low).leadingZeroBitCount
        let shift = UInt64(max(0, width - bucketBits))
        let buckets = Int((high - low) >> shift) + 1
        withUnsafeTemporaryAllocation(of: Int.self, capacity: buckets + 1) { ends in
            ends.initialize(repeating: 0)
            for i in 0..<n { ends[Int((keys[i] &- low) >> shift) + 1] += 1 }
            for b in 0..<buckets { ends[b + 1] += ends[b] }
            // Stable scatter; afterwards ends[b] is where bucket b ends.
            for i in 0..<n {
                let b = Int((keys[i] &- low) >> shift)
                let slot = ends[b]
                ends[b] = slot + 1
                spareKeys[slot] = keys[i]
                spareTokens[slot] = tokens[i]
            }
            keys.update(from: spareKeys, count: n)
            tokens.update(from: spareTokens, count: n)
            var start = 0
            for b in 0..<buckets where start < limit {
                let size = ends[b] - start
                if size > 1 {
                    sort(
                        keys + start, tokens + start, size, limit: size,
                        spareKeys: spareKeys + start, spareTokens: spareTokens + start)
                }
                start = ends[b]
            }
        }
    }

    private static func insertionSort(_ keys: UnsafeMutablePointer<UInt64>, _ tokens: UnsafeMutablePointer<Int32>, _ n: Int) {
        guard n > 1 else { return }
        for i in 1..<n {
            let key = keys[i]
            let token = tokens[i]
            var j = i
            while j > 0, keys[j - 1] > key || (keys[j - 1] == key && tokens[j - 1] > token) {
                keys[j] = keys[j - 1]
                tokens[j] = tokens[j - 1]
                j -= 1
            }
            keys[j] = key
            tokens[j] = token
        }
    }
}
