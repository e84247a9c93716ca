/// Sorts ``RankKey``s by value: an LSD radix sort on the 32 value bits (digits of 11, 11 and 10
/// bits; a digit every key shares is skipped), with reusable scratch space — several times
/// faster than a comparison sort on the thousands of values a gene holds. Keys with equal values
/// end up adjacent in no particular slot order, which is all rank sums need.
public struct RankKeySorter: Sendable {
    private var scratch: [UInt64] = []
    private var counts = [Int](repeating: 0, count: 3 * 2048)

    /// A sorter whose scratch space grows to the largest array it has sorted.
    public init() {}

    /// Sorts `keys` in place by their value bits.
    public mutating func sort(_ keys: UnsafeMutableBufferPointer<UInt64>) {
        let n = keys.count
        if n < 64 {
            var small = keys
            small.sort()
            return
        }
        if scratch.count < n { scratch = [UInt64](repeating: 0, count: n) }
        let digits: [(shift: UInt64, mask: UInt64, offset: Int)] = [(32, 0x7FF, 0), (43, 0x7FF, 2048), (54, 0x3FF, 4096)]
        counts.withUnsafeMutableBufferPointer { counts in
            for index in counts.indices { counts[index] = 0 }
            for key in keys {
                counts[Int((key >> 32) & 0x7FF)] += 1
                counts[2048 + Int((key >> 43) & 0x7FF)] += 1
                counts[4096 + Int((key >> 54) & 0x3FF)] += 1
            }
            scratch.withUnsafeMutableBufferPointer { scratch in
                var source = keys
                var target = UnsafeMutableBufferPointer(rebasing: scratch[0..<n])
                for digit in digits {
                    let buckets = Int(digit.mask) + 1
                    let first = Int((source[0] >> digit.shift) & digit.mask)
                    if counts[digit.offset + first] == n { continue }  // every key has this digit
                    var total = 0
                    for bucket in 0..<buckets {
                        let count = counts[digit.offset + bucket]
                        counts[digit.offset + bucket] = total
                        total += count
                    }
                    for key in source {
                        let bucket = digit.offset + Int((key >> digit.shift) & digit.mask)
                        target[counts[bucket]] = key
                        counts[bucket] += 1
                    }
                    swap(&source, &target)
                }
                if source.baseAddress != keys.baseAddress {
                    _ = keys.update(fromContentsOf: source)
                }
            }
        }
    }
}
