internal import CHDF5

/// A Swift number type that HDF5 reads and writes natively.
///
/// HDF5 converts between any stored integer or float type and the type asked for, so a dataset of
/// int64 indices can be read straight into `[Int32]`, and float64 values into `[Float]`.
protocol HDF5Numeric: Numeric, Sendable {
    /// The HDF5 native memory type of `Self`.
    static var nativeType: hid_t { get }
    /// Converts from any other ``HDF5Numeric`` (integers clamp, floats round to nearest).
    init<Source: HDF5Numeric>(hdf5Converting source: Source)
    /// This value as a `Double` (exact for every integer below 2^53).
    var doubleValue: Double { get }
    /// This value as an `Int64`, or `nil` for a non-integral float.
    var exactInt64: Int64? { get }
}

extension HDF5Numeric where Self: BinaryInteger {
    init<Source: HDF5Numeric>(hdf5Converting source: Source) {
        if let i = source.exactInt64 {
            self.init(clamping: i)
        } else {
            self.init(clamping: Int64(exactly: source.doubleValue.rounded(.towardZero)) ?? 0)
        }
    }
    var doubleValue: Double { Double(self) }
    var exactInt64: Int64? { Int64(exactly: self) }
}

extension HDF5Numeric where Self: BinaryFloatingPoint {
    init<Source: HDF5Numeric>(hdf5Converting source: Source) {
        self.init(source.doubleValue)
    }
    var exactInt64: Int64? { Int64(exactly: self) }
}

extension Int8: HDF5Numeric { static var nativeType: hid_t { sluice_H5T_NATIVE_INT8() } }
extension UInt8: HDF5Numeric { static var nativeType: hid_t { sluice_H5T_NATIVE_UINT8() } }
extension Int16: HDF5Numeric { static var nativeType: hid_t { sluice_H5T_NATIVE_INT16() } }
extension UInt16: HDF5Numeric { static var nativeType: hid_t { sluice_H5T_NATIVE_UINT16() } }
extension Int32: HDF5Numeric { static var nativeType: hid_t { sluice_H5T_NATIVE_INT32() } }
extension UInt32: HDF5Numeric { static var nativeType: hid_t { sluice_H5T_NATIVE_UINT32() } }
extension Int64: HDF5Numeric { static var nativeType: hid_t { sluice_H5T_NATIVE_INT64() } }
extension UInt64: HDF5Numeric { static var nativeType: hid_t { sluice_H5T_NATIVE_UINT64() } }
extension Float: HDF5Numeric {
    static var nativeType: hid_t { sluice_H5T_NATIVE_FLOAT() }
    var doubleValue: Double { Double(self) }
}
extension Double: HDF5Numeric {
    static var nativeType: hid_t { sluice_H5T_NATIVE_DOUBLE() }
    var doubleValue: Double { self }
}
