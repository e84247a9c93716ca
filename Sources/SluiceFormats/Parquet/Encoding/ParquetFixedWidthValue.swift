/// A value PLAIN-encoded as its little-endian bytes: `Int32`, `Int64`, `Float`, `Double`.
///
/// Generic code over this protocol is specialised per type, so encoding loops run on raw
/// contiguous storage without existential boxing.
protocol ParquetFixedWidthValue: BitwiseCopyable, Comparable, Sendable {
    /// The value's bits, used as a dictionary key (so `-0.0` and `0.0` stay distinct).
    var dictionaryKey: UInt64 { get }
    /// Whether the value takes part in min/max statistics (NaN does not).
    var isOrdered: Bool { get }
    static var zero: Self { get }
}

extension Int32: ParquetFixedWidthValue {
    var dictionaryKey: UInt64 { UInt64(UInt32(bitPattern: self)) }
    var isOrdered: Bool { true }
}

extension Int64: ParquetFixedWidthValue {
    var dictionaryKey: UInt64 { UInt64(bitPattern: self) }
    var isOrdered: Bool { true }
}

extension Float: ParquetFixedWidthValue {
    var dictionaryKey: UInt64 { UInt64(bitPattern.littleEndian) }
    var isOrdered: Bool { !isNaN }
}

extension Double: ParquetFixedWidthValue {
    var dictionaryKey: UInt64 { bitPattern }
    var isOrdered: Bool { !isNaN }
}
