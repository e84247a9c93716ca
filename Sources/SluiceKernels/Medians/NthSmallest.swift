extension UnsafeMutableBufferPointer where Element == Double {
    /// Reorders the buffer so that position `k` holds the value a full ascending sort would put
    /// there, with no larger value before it and no smaller one after (C++'s `nth_element`), and
    /// returns that value. Expected linear time: quickselect with a median-of-three pivot, and
    /// insertion sort for short ranges. The values must not be NaN.
    @discardableResult
    mutating func selectNthSmallest(_ k: Int) -> Double {
        precondition(k >= 0 && k < count, "rank \(k) is outside 0..<\(count)")
        var low = 0
        var high = count - 1
        while high - low > 16 {
            let middle = low + (high - low) / 2
            // Median of three to `middle`, then Hoare partition around its value.
            if self[middle] < self[low] { swapAt(middle, low) }
            if self[high] < self[low] { swapAt(high, low) }
            if self[high] < self[middle] { swapAt(high, middle) }
            let pivot = self[middle]
            var i = low
            var j = high
            while i <= j {
                while self[i] < pivot { i += 1 }
                while self[j] > pivot { j -= 1 }
                if i <= j {
                    swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // Now [low, j] ≤ pivot ≤ [i, high], and anything between j and i equals the pivot.
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                return self[k]
            }
        }
        for a in (low + 1)..<(high + 1) {
            let value = self[a]
            var b = a
            while b > low, self[b - 1] > value {
                self[b] = self[b - 1]
                b -= 1
            }
            self[b] = value
        }
        return self[k]
    }
}
