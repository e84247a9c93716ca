internal import CHDF5

/// The element types Sluice writes.
enum HDF5StorageType {
    case int8, int32, int64, float32, float64, bool, utf8String

    /// A new HDF5 datatype for this storage type; the caller closes it.
    func makeType() -> hid_t {
        switch self {
        case .int8: H5Tcopy(sluice_H5T_NATIVE_INT8())
        case .int32: H5Tcopy(sluice_H5T_NATIVE_INT32())
        case .int64: H5Tcopy(sluice_H5T_NATIVE_INT64())
        case .float32: H5Tcopy(sluice_H5T_NATIVE_FLOAT())
        case .float64: H5Tcopy(sluice_H5T_NATIVE_DOUBLE())
        case .bool: HDF5Attribute.booleanEnumType()
        case .utf8String: HDF5Strings.variableUTF8Type()
        }
    }
}
