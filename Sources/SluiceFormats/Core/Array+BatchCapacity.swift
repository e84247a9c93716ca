/// Allocation of batch-sized arrays that the allocator can recycle from batch to batch.
extension Array {
    /// Capacity for a batch array of `count` elements: large arrays are rounded up to a power of
    /// two. Consecutive batches differ a little in size; with equal size classes, each batch's
    /// arrays fit the memory the previous batch freed instead of growing the heap (untouched
    /// capacity costs no resident memory).
    static func batchCapacity(for count: Int) -> Int {
        let bytes = count * MemoryLayout<Element>.stride
        guard bytes >= 1 << 20 else { return count }
        var rounded = 1 << 20
        while rounded < bytes { rounded <<= 1 }
        return rounded / MemoryLayout<Element>.stride
    }
}
