internal import CHDF5

/// One filter of a dataset's pipeline (compression, shuffle, checksum, …).
struct HDF5Filter: Hashable, Sendable, CustomStringConvertible {
    let id: Int32
    /// The name stored with the filter, or a well-known name for its id.
    let name: String

    static let deflateID: Int32 = 1
    static let shuffleID: Int32 = 2
    static let fletcher32ID: Int32 = 3

    /// Names of registered filters users meet in single-cell files, for messages.
    private static let knownNames: [Int32: String] = [
        1: "gzip", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset",
        307: "bzip2", 32000: "lzf", 32001: "blosc", 32004: "lz4", 32008: "bitshuffle", 32015: "zstd",
    ]

    /// Whether this HDF5 build (with its plugins) can decode the filter.
    var isAvailable: Bool { (HDF5Library.attempt { H5Zfilter_avail(H5Z_filter_t(id)) } ?? 0) > 0 }

    var description: String { "\(name) (filter id \(id))" }

    /// The filters of the dataset creation property list `properties`, in pipeline order.
    static func pipeline(of properties: hid_t) -> [HDF5Filter] {
        let count = max(0, H5Pget_nfilters(properties))
        return (0..<count).map { index in
            var flags: UInt32 = 0
            var valueCount = 0
            var values = [UInt32](repeating: 0, count: 8)
            var config: UInt32 = 0
            var nameBuffer = [CChar](repeating: 0, count: 256)
            valueCount = values.count
            let id = H5Pget_filter2(properties, UInt32(index), &flags, &valueCount, &values, nameBuffer.count, &nameBuffer, &config)
            let stored = String(nullTerminated: nameBuffer)
            let name = knownNames[id] ?? (stored.isEmpty ? "unknown" : stored)
            return HDF5Filter(id: id, name: name)
        }
    }
}
