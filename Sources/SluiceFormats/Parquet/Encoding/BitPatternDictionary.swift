/// An open-addressing hash table from 64-bit patterns to dense indices, for dictionary-encoding
/// fixed-width values without `Dictionary`'s per-lookup overhead.
struct BitPatternDictionary {
    private var slots: [Int32]
    private(set) var keys: [UInt64] = []
    private var shift: UInt64

    init() {
        slots = [Int32](repeating: -1, count: 1024)
        shift = 64 - 10
    }

    var count: Int { keys.count }

    /// The index of `key`, inserting it with the next free index if it is new.
    @inline(__always)
    mutating func index(of key: UInt64) -> UInt32 {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let entry = slots[slot]
            if entry < 0 {
                let index = Int32(keys.count)
                slots[slot] = index
                keys.append(key)
                if keys.count * 2 > slots.count { grow() }
                return UInt32(index)
            }
            if keys[Int(entry)] == key { return UInt32(entry) }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        shift -= 1
        slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (index, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}
