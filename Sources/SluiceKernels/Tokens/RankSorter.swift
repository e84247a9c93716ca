/// Orders a cell's genes by score descending, then token ascending, with an LSD radix sort.
///
/// Scores are positive doubles, whose bit patterns order like their values; the key of a gene
/// is the complemented score bits (so higher scores come first), and ties keep ascending token
/// order because the token digits are sorted first and every pass is stable. Ten byte-wide
/// passes (two for the token, eight for the score; passes where every key shares the byte are
/// skipped) replace a comparison sort whose unpredictable branches dominated tokenizing time.
/// Exact: the order is the one `(score desc, token asc)` defines, ties included.
public struct RankSorter: Sendable {
    private var keys: [UInt64] = []
    private var tokens: [Int32] = []
    private var spareKeys: [UInt64] = []
    private var spareTokens: [Int32] = []

    public init() {}

    mutating func reset() {
        keys.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func append(score: Double, token: Int32) {
        precondition(score > 0, "rank scores are positive")
        keys.append(~score.bitPattern)
        tokens.append(token)
    }

    /// Sorts and appends at most `limit` tokens, best first.
    mutating func sortAndAppendTokens(limit: Int, to output: inout [Int32]) {
        let count = keys.count
        guard count > 1 else {
            output.append(contentsOf: tokens.prefix(limit))
            return
        }
        if spareKeys.count < count {
            spareKeys = [UInt64](repeating: 0, count: count)
            spareTokens = [Int32](repeating: 0, count: count)
        }
        // Token digits (tokens are non-negative and below 2^32), then score digits.
        var passes: [(fromToken: Bool, shift: UInt64)] = [(true, 0), (true, 8), (true, 16), (true, 24)]
        for shift in stride(from: UInt64(0), to: 64, by: 8) { passes.append((false, shift)) }
        var inSpare = false
        for pass in passes {
            var histogram = [Int](repeating: 0, count: 257)
            let moved: Bool = keys.withUnsafeMutableBufferPointer { keys in
                tokens.withUnsafeMutableBufferPointer { tokens in
                    spareKeys.withUnsafeMutableBufferPointer { spareKeys in
                        spareTokens.withUnsafeMutableBufferPointer { spareTokens in
                            let (sourceKeys, sourceTokens, targetKeys, targetTokens) =
                                inSpare ? (spareKeys, spareTokens, keys, tokens) : (keys, tokens, spareKeys, spareTokens)
                            @inline(__always) func digit(_ i: Int) -> Int {
                                pass.fromToken
                                    ? Int((UInt32(bitPattern: sourceTokens[i]) >> UInt32(pass.shift)) & 0xFF)
                                    : Int((sourceKeys[i] >> pass.shift) & 0xFF)
                            }
                            histogram.withUnsafeMutableBufferPointer { histogram in
                                for i in 0..<count { histogram[digit(i) + 1] += 1 }
                            }
                            // Every key shares this digit: the pass would not move anything.
                            if histogram.contains(count) { return false }
                            histogram.withUnsafeMutableBufferPointer { next in
                                for b in 0..<256 { next[b + 1] += next[b] }
                                for i in 0..<count {
                                    let d = digit(i)
                                    let slot = next[d]
                                    next[d] = slot + 1
                                    targetKeys[slot] = sourceKeys[i]
                                    targetTokens[slot] = sourceTokens[i]
                                }
                            }
                            return true
                        }
                    }
                }
            }
            if moved { inSpare.toggle() }
        }
        let sorted = inSpare ? spareTokens : tokens
        output.append(contentsOf: sorted.prefix(min(limit, count)))
    }
}
