internal import CHDF5
import Foundation

/// Reads HDF5 string data — variable- or fixed-length, ASCII or UTF-8 — into Swift strings.
///
/// Fixed-length strings are read with a NULLPAD memory type of the stored size, so a string that
/// fills its whole slot keeps its last character (a NULLTERM memory type would drop it); trailing
/// NULs (and spaces, for SPACEPAD data) are then trimmed.
enum HDF5Strings {
    /// Decodes `count` strings stored with `fileType`; `read` fills the buffer given a memory type.
    static func read(
        path: String, what: String, fileType: hid_t, count: Int, space: hid_t,
        read: (_ memoryType: hid_t, _ buffer: UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        guard count > 0 else { return [] }
        let memoryType = H5Tcopy(sluice_H5T_C_S1())
        defer { H5Tclose(memoryType) }
        let cset = H5Tget_cset(fileType)
        H5Tset_cset(memoryType, cset)
        if H5Tis_variable_str(fileType) > 0 {
            H5Tset_size(memoryType, sluice_H5T_VARIABLE())
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            _ = try pointers.withUnsafeMutableBytes { (raw) in
                try HDF5Library.call(path, "reading strings from \(what)") { read(memoryType, raw.baseAddress!) }
            }
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            pointers.withUnsafeMutableBytes { raw in
                _ = H5Dvlen_reclaim(memoryType, space, sluice_H5P_DEFAULT(), raw.baseAddress!)
            }
            return strings
        }
        let width = H5Tget_size(fileType)
        guard width > 0 else { return [String](repeating: "", count: count) }
        H5Tset_size(memoryType, width)
        H5Tset_strpad(memoryType, H5T_STR_NULLPAD)
        let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
        var bytes = [UInt8](repeating: 0, count: width * count)
        _ = try bytes.withUnsafeMutableBytes { (raw) in
            try HDF5Library.call(path, "reading strings from \(what)") { read(memoryType, raw.baseAddress!) }
        }
        return (0..<count).map { i in
            var slot = bytes[(i * width)..<((i + 1) * width)]
            if let end = slot.firstIndex(of: 0) { slot = slot[..<end] }
            if spacePadded { while slot.last == 0x20 { slot = slot.dropLast() } }
            return String(decoding: slot, as: UTF8.self)
        }
    }

    /// A variable-length UTF-8 string type (what h5py writes for `str`); the caller closes it.
    static func variableUTF8Type() -> hid_t {
        let type = H5Tcopy(sluice_H5T_C_S1())
        H5Tset_size(type, sluice_H5T_VARIABLE())
        H5Tset_cset(type, H5T_CSET_UTF8)
        return type
    }

    /// Calls `body` with C string pointers for `strings`, valid for the duration of the call.
    static func withCStrings<R>(_ strings: [String], _ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
        let storage = strings.map { strdup($0) }
        defer { storage.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = storage.map { UnsafePointer($0) }
        return try pointers.withUnsafeMutableBytes { (raw) in try body(raw.baseAddress!) }
    }
}
