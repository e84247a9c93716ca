internal import CHDF5

/// A dataset: an n-dimensional array of one element type, possibly chunked and compressed.
final class HDF5Dataset: HDF5Object, @unchecked Sendable {
    // @unchecked: only `shape` changes, when a writer appends rows on the one thread that writes the file.
    let file: HDF5File
    let handle: HDF5Handle
    let name: String
    /// The current extent (empty for a scalar).
    private(set) var shape: [Int]
    let elementType: HDF5ElementType
    /// Chunk extent, or `nil` for contiguous/compact storage.
    let chunkShape: [Int]?
    /// The filter pipeline, in order (empty when uncompressed).
    let filters: [HDF5Filter]

    init(file: HDF5File, handle: HDF5Handle, name: String) {
        self.file = file
        self.handle = handle
        self.name = name
        let space = HDF5Handle(H5Dget_space(handle.id), .dataspace)
        let rank = Int(max(0, H5Sget_simple_extent_ndims(space.id)))
        var dims = [hsize_t](repeating: 0, count: rank)
        if rank > 0 { H5Sget_simple_extent_dims(space.id, &dims, nil) }
        self.shape = dims.map { Int($0) }
        let type = HDF5Handle(H5Dget_type(handle.id), .datatype)
        self.elementType = HDF5ElementType.describe(type.id)
        let properties = HDF5Handle(H5Dget_create_plist(handle.id), .propertyList)
        if H5Pget_layout(properties.id) == H5D_CHUNKED, rank > 0 {
            var chunk = [hsize_t](repeating: 0, count: rank)
            H5Pget_chunk(properties.id, Int32(rank), &chunk)
            self.chunkShape = chunk.map { Int($0) }
        } else {
            self.chunkShape = nil
        }
        self.filters = HDF5Filter.pipeline(of: properties.id)
    }

    /// Number of elements.
    var count: Int { shape.reduce(1, *) }

    // MARK: Numbers

    /// Checks that the elements can be read as numbers.
    func requireNumeric() throws {
        guard elementType.isNumeric else {
            throw FormatError(.unsupportedType, path: path, "\(name) holds \(elementType) values, where numbers are expected")
        }
    }

    /// Reads elements `range` of a 1-D dataset, converted to `T`.
    func read<T: HDF5Numeric>(_ type: T.Type, range: Range<Int>) throws -> [T] {
        try requireRank(1)
        return try read(T.self, start: [range.lowerBound], count: [range.count])
    }

    /// Reads the whole dataset (any rank, row-major), converted to `T`.
    func readAll<T: HDF5Numeric>(_ type: T.Type) throws -> [T] {
        try read(T.self, start: shape.map { _ in 0 }, count: shape)
    }

    /// Reads rows `rows` × columns `columns` of a 2-D dataset, row-major.
    func read<T: HDF5Numeric>(_ type: T.Type, rows: Range<Int>, columns: Range<Int>) throws -> [T] {
        try requireRank(2)
        return try read(T.self, start: [rows.lowerBound, columns.lowerBound], count: [rows.count, columns.count])
    }

    /// Reads a hyperslab into a new array (HDF5 converts from the stored type).
    private func read<T: HDF5Numeric>(_ type: T.Type, start: [Int], count: [Int]) throws -> [T] {
        try requireNumeric()
        let total = count.reduce(1, *)
        guard total > 0 else { return [] }
        var failure: (any Error)?
        let values = [T](unsafeUninitializedCapacity: [T].batchCapacity(for: total)) { buffer, initialized in
            let initializedCount = total
            do {
                try readHyperslab(start: start, count: count, memoryType: T.nativeType, into: UnsafeMutableRawPointer(buffer.baseAddress!))
                initialized = total
            } catch {
                UnsafeMutableBufferPointer(rebasing: buffer[0..<initializedCount]).initialize(repeating: .zero)
                initialized = total
                failure = error
            }
        }
        if let failure { throw failure }
        return values
    }

    /// Reads a hyperslab with `memoryType` into `buffer` (which holds `count` elements).
    func readHyperslab(start: [Int], count: [Int], memoryType: hid_t, into buffer: UnsafeMutableRawPointer) throws {
        try checkBounds(start: start, count: count)
        let fileSpace = HDF5Handle(H5Dget_space(handle.id), .dataspace)
        let memorySpace: HDF5Handle
        if shape.isEmpty {
            memorySpace = HDF5Handle(H5Screate(H5S_SCALAR), .dataspace)
        } else {
            let starts = start.map { hsize_t($0) }
            let counts = count.map { hsize_t($0) }
            try HDF5Library.call(path, "selecting \(start)+\(count) of \(name)") {
                H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, starts, nil, counts, nil)
            }
            memorySpace = HDF5Handle(H5Screate_simple(Int32(counts.count), counts, nil), .dataspace)
        }
        try HDF5Library.call(path, "reading \(name)") {
            H5Dread(handle.id, memoryType, memorySpace.id, fileSpace.id, sluice_H5P_DEFAULT(), buffer)
        }
    }

    // MARK: Strings and booleans

    /// Reads elements `range` (all when `nil`) of a 1-D string dataset.
    func readStrings(range: Range<Int>? = nil) throws -> [String] {
        guard elementType.isString else {
            throw FormatError(.unsupportedType, path: path, "\(name) holds \(elementType) values, where strings are expected")
        }
        let range = range ?? 0..<(shape.first ?? 1)
        guard !range.isEmpty else { return [] }
        try checkBounds(start: [range.lowerBound], count: [range.count])
        let fileSpace = HDF5Handle(H5Dget_space(handle.id), .dataspace)
        let memorySpace: HDF5Handle
        if shape.isEmpty {
            memorySpace = HDF5Handle(H5Screate(H5S_SCALAR), .dataspace)
        } else {
            try requireRank(1)
            try HDF5Library.call(path, "selecting \(range) of \(name)") {
                H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, [hsize_t(range.lowerBound)], nil, [hsize_t(range.count)], nil)
            }
            memorySpace = HDF5Handle(H5Screate_simple(1, [hsize_t(range.count)], nil), .dataspace)
        }
        let type = HDF5Handle(H5Dget_type(handle.id), .datatype)
        let dataset = handle.id
        return try HDF5Strings.read(path: path, what: name, fileType: type.id, count: range.count, space: memorySpace.id) {
            H5Dread(dataset, $0, memorySpace.id, fileSpace.id, sluice_H5P_DEFAULT(), $1)
        }
    }

    /// Reads elements `range` of a 1-D boolean dataset (h5py enum, or any integer type).
    func readBools(range: Range<Int>) throws -> [Bool] {
        if case .enumeration(let bytes, let members) = elementType {
            guard elementType.isBooleanEnum, bytes <= 8 else {
                throw FormatError(.unsupportedType, path: path, "\(name) is an enum with members \(members.keys.sorted()), not a boolean")
            }
            var raw = [UInt8](repeating: 0, count: range.count * bytes)
            let type = HDF5Handle(H5Dget_type(handle.id), .datatype)
            let native = HDF5Handle(H5Tget_native_type(type.id, H5T_DIR_ASCEND), .datatype)
            try raw.withUnsafeMutableBytes { (buffer) in
                guard let base = buffer.baseAddress else { return }
                try readHyperslab(start: [range.lowerBound], count: [range.count], memoryType: native.id, into: base)
            }
            let trueValue = members["TRUE"] ?? 1
            return (0..<range.count).map { i in
                HDF5ElementType.integerValue(Array(raw[(i * bytes)..<((i + 1) * bytes)]), bytes: bytes, signed: true) == trueValue
            }
        }
        return try read(Int64.self, range: range).map { $0 != 0 }
    }

    // MARK: Writing

    /// Appends values to an extendable 1-D dataset.
    func append<T: HDF5Numeric>(_ values: [T]) throws {
        guard !values.isEmpty else { return }
        let offset = try extend(by: values.count)
        try values.withUnsafeBytes { (raw) in
            try writeHyperslab(offset: offset, count: values.count, memoryType: T.nativeType, from: raw.baseAddress!)
        }
    }

    /// Appends booleans to an extendable 1-D boolean dataset.
    func append(bools: [Bool]) throws {
        guard !bools.isEmpty else { return }
        let offset = try extend(by: bools.count)
        let bytes = bools.map { Int8($0 ? 1 : 0) }
        let type = HDF5Handle(HDF5StorageType.bool.makeType(), .datatype)
        try bytes.withUnsafeBytes { (raw) in
            try writeHyperslab(offset: offset, count: bytes.count, memoryType: type.id, from: raw.baseAddress!)
        }
    }

    /// Appends strings to an extendable 1-D variable-length string dataset.
    func append(strings: [String]) throws {
        guard !strings.isEmpty else { return }
        let offset = try extend(by: strings.count)
        let type = HDF5Handle(HDF5Strings.variableUTF8Type(), .datatype)
        try HDF5Strings.withCStrings(strings) { (buffer) in
            try writeHyperslab(offset: offset, count: strings.count, memoryType: type.id, from: buffer)
        }
    }

    /// Grows the first dimension by `rows`; returns the old length (where new data goes).
    private func extend(by rows: Int) throws -> Int {
        try requireRank(1)
        let offset = shape[0]
        try HDF5Library.call(path, "extending \(name)") { H5Dset_extent(handle.id, [hsize_t(offset + rows)]) }
        shape[0] = offset + rows
        return offset
    }

    private func writeHyperslab(offset: Int, count: Int, memoryType: hid_t, from buffer: UnsafeRawPointer) throws {
        let fileSpace = HDF5Handle(H5Dget_space(handle.id), .dataspace)
        try HDF5Library.call(path, "selecting rows of \(name)") {
            H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, [hsize_t(offset)], nil, [hsize_t(count)], nil)
        }
        let memorySpace = HDF5Handle(H5Screate_simple(1, [hsize_t(count)], nil), .dataspace)
        try HDF5Library.call(path, "writing \(name)") {
            H5Dwrite(handle.id, memoryType, memorySpace.id, fileSpace.id, sluice_H5P_DEFAULT(), buffer)
        }
    }

    // MARK: Checks

    /// Declared bytes below this are read without comparing them with what the file stores.
    static let unstoredLimit = 64 << 20
    /// More values than deflate can pack into a stored byte (at most ~1,032), with room to spare.
    static let maximumCompression = 2_048

    /// Refuses a dataset whose declared extent the file cannot hold. A tiny file may declare an
    /// enormous dataset (its unwritten chunks read as fill values); reading it, or looping over
    /// its rows, would allocate or spin far beyond what the file holds. So a declared size above
    /// ``unstoredLimit`` must be backed by at least 1/``maximumCompression`` of it in storage.
    func checkExtentIsStored() throws {
        let width = Int(H5Tget_size(HDF5Handle(H5Dget_type(handle.id), .datatype).id))
        var declared = max(1, width)
        var overflow = false
        for extent in shape where !overflow {
            (declared, overflow) = declared.multipliedReportingOverflow(by: extent)
        }
        guard overflow || declared > Self.unstoredLimit else { return }
        let stored = Int(H5Dget_storage_size(handle.id))
        guard overflow || declared / Self.maximumCompression > stored else { return }
        throw FormatError(
            .inconsistentShape, path: path,
            "\(name) declares \(shape.map(String.init).joined(separator: " × ")) values but the file stores only \(stored) bytes of them; it is damaged or was never completely written")
    }

    func requireRank(_ rank: Int) throws {
        guard shape.count == rank else {
            throw FormatError(.inconsistentShape, path: path, "\(name) has \(shape.count) dimensions \(shape), expected \(rank)")
        }
    }

    private func checkBounds(start: [Int], count: [Int]) throws {
        for (axis, extent) in shape.enumerated() where start[axis] < 0 || start[axis] + count[axis] > extent {
            throw FormatError(
                .invalidArgument, path: path,
                "reading elements \(start[axis])..<\(start[axis] + count[axis]) of \(name), which has only \(extent) along axis \(axis)")
        }
    }
}
