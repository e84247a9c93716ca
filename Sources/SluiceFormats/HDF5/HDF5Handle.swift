internal import CHDF5

/// Owns one HDF5 identifier and closes it exactly once, when the last reference goes away.
///
/// Debian's HDF5 is the thread-safe build (one global lock around every API call), so a handle
/// may be used from any thread; that is why this class is `@unchecked Sendable`.
final class HDF5Handle: @unchecked Sendable {
    enum Kind { case file, group, dataset, datatype, dataspace, attribute, propertyList }

    let id: hid_t
    let kind: Kind

    init(_ id: hid_t, _ kind: Kind) {
        self.id = id
        self.kind = kind
    }

    deinit {
        switch kind {
        case .file: H5Fclose(id)
        case .group: H5Gclose(id)
        case .dataset: H5Dclose(id)
        case .datatype: H5Tclose(id)
        case .dataspace: H5Sclose(id)
        case .attribute: H5Aclose(id)
        case .propertyList: H5Pclose(id)
        }
    }
}
