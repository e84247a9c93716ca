/// Per-slot counts and sums of one gene's stored values: what group means and variances
/// (scanpy's `_get_mean_var`) and the rank sums' zero blocks need.
///
/// Arrays are indexed by slot and sized for every slot the caller uses; ``reset(_:)`` clears only
/// the slots a segment touches, so one instance serves many genes without reallocating.
public struct SlotMoments: Sendable {
    /// Stored (non-zero) values per slot.
    public var nonzero: [Int]
    /// Negative values per slot (they rank below the zeros).
    public var negative: [Int]
    /// Sum of the values per slot (float64, as scanpy accumulates float32 data).
    public var sum: [Double]
    /// Sum of the squared values per slot (each square rounded to float32, as scanpy's are).
    public var sumOfSquares: [Double]

    /// Zeroed arrays for slots `0..<slotCount`.
    public init(slotCount: Int) {
        nonzero = [Int](repeating: 0, count: slotCount)
        negative = [Int](repeating: 0, count: slotCount)
        sum = [Double](repeating: 0, count: slotCount)
        sumOfSquares = [Double](repeating: 0, count: slotCount)
    }

    /// Sets the given slots back to zero.
    public mutating func reset(_ slots: [UInt32]) {
        for slot in slots {
            let s = Int(slot)
            nonzero[s] = 0
            negative[s] = 0
            sum[s] = 0
            sumOfSquares[s] = 0
        }
    }

    /// Adds the values of `keys` (``RankKey``s, any order) to their slots' counts and sums.
    public mutating func add(_ keys: UnsafeBufferPointer<UInt64>) {
        for key in keys {
            let s = Int(RankKey.slot(key))
            let value = RankKey.value(key)
            nonzero[s] += 1
            if value < 0 { negative[s] += 1 }
            sum[s] += Double(value)
            // Squared in float32, as scanpy's numba kernel squares float32 data before adding it
            // to float64 sums: the t-test's variances (and p-values) depend on that rounding.
            sumOfSquares[s] += Double(value * value)
        }
    }
}
