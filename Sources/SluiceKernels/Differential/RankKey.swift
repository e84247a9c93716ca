/// One stored (non-zero) expression value and the slot of its cell, packed into a `UInt64` whose
/// unsigned order is the value's numeric order: sorting the keys sorts the values, and values are
/// tied exactly when their upper 32 bits are equal.
///
/// The upper half holds the float's bits made order-preserving (sign bit flipped for positive
/// values, all bits flipped for negative ones); the lower half holds the slot, a caller-defined
/// small integer (the cell's group, or its stratum and group).
public enum RankKey {
    /// The key of `value` (finite or infinite, never NaN, never zero) in `slot`.
    @inline(__always)
    public static func make(_ value: Float, slot: UInt32) -> UInt64 {
        let bits = value.bitPattern
        let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(ordered) << 32 | UInt64(slot)
    }

    /// The value stored in `key`.
    @inline(__always)
    public static func value(_ key: UInt64) -> Float {
        let ordered = UInt32(truncatingIfNeeded: key >> 32)
        return Float(bitPattern: ordered & 0x8000_0000 != 0 ? ordered & 0x7FFF_FFFF : ~ordered)
    }

    /// The slot stored in `key`.
    @inline(__always)
    public static func slot(_ key: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: key) }

    /// The order-preserving value bits of `key`: equal exactly when the values are equal.
    @inline(__always)
    public static func valueBits(_ key: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: key >> 32) }

    /// Whether the value in `key` is negative.
    @inline(__always)
    public static func isNegative(_ key: UInt64) -> Bool { key >> 63 == 0 }
}
