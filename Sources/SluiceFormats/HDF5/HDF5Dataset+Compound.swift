internal import CHDF5

/// Reading single fields of compound datasets (the obs/var tables of pre-0.7 h5ad files).
extension HDF5Dataset {
    /// The names of the fields, or `[]` when the dataset is not compound.
    var fieldNames: [String] {
        if case .compound(let fields) = elementType { return fields }
        return []
    }

    /// The element type of field `field`.
    func fieldType(_ field: String) throws -> HDF5ElementType {
        let type = try fieldDatatype(field)
        return HDF5ElementType.describe(type.id)
    }

    /// Reads rows `range` of a numeric field, converted to `T`.
    func readField<T: HDF5Numeric>(_ field: String, _: T.Type, range: Range<Int>) throws -> [T] {
        let fieldType = try self.fieldType(field)
        guard fieldType.isNumeric else {
            throw FormatError(.unsupportedType, path: path, "field \(field) of \(name) holds \(fieldType), where numbers are expected")
        }
        let memoryType = try projection(field, HDF5Handle(H5Tcopy(T.nativeType), .datatype), size: MemoryLayout<T>.stride)
        var values = [T](repeating: .zero, count: range.count)
        try values.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            try readHyperslab(start: [range.lowerBound], count: [range.count], memoryType: memoryType.id, into: base)
        }
        return values
    }

    /// Reads rows `range` of a fixed- or variable-length string field.
    func readStringField(_ field: String, range: Range<Int>) throws -> [String] {
        let stored = try fieldDatatype(field)
        guard H5Tget_class(stored.id) == H5T_STRING else {
            throw FormatError(.unsupportedType, path: path, "field \(field) of \(name) is not a string")
        }
        guard !range.isEmpty else { return [] }
        let fileSpace = HDF5Handle(H5Dget_space(handle.id), .dataspace)
        H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, [hsize_t(range.lowerBound)], nil, [hsize_t(range.count)], nil)
        let memorySpace = HDF5Handle(H5Screate_simple(1, [hsize_t(range.count)], nil), .dataspace)
        let dataset = handle.id
        return try HDF5Strings.read(path: path, what: "field \(field) of \(name)", fileType: stored.id, count: range.count, space: memorySpace.id) {
            // HDF5Strings hands us a plain string memory type; wrap it in a one-field compound.
            let wrapped = H5Tcreate(H5T_COMPOUND, H5Tget_size($0))
            defer { H5Tclose(wrapped) }
            H5Tinsert(wrapped, field, 0, $0)
            return H5Dread(dataset, wrapped, memorySpace.id, fileSpace.id, sluice_H5P_DEFAULT(), $1)
        }
    }

    /// Reads rows `range` of a boolean field (h5py enum or integer).
    func readBoolField(_ field: String, range: Range<Int>) throws -> [Bool] {
        let stored = try fieldDatatype(field)
        if H5Tget_class(stored.id) == H5T_ENUM {
            let native = HDF5Handle(H5Tget_native_type(stored.id, H5T_DIR_ASCEND), .datatype)
            let width = H5Tget_size(native.id)
            let memoryType = try projection(field, native, size: width)
            var raw = [UInt8](repeating: 0, count: width * range.count)
            try raw.withUnsafeMutableBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                try readHyperslab(start: [range.lowerBound], count: [range.count], memoryType: memoryType.id, into: base)
            }
            return (0..<range.count).map { i in raw[(i * width)..<((i + 1) * width)].contains { $0 != 0 } }
        }
        return try readField(field, Int64.self, range: range).map { $0 != 0 }
    }

    private func fieldDatatype(_ field: String) throws -> HDF5Handle {
        let type = HDF5Handle(H5Dget_type(handle.id), .datatype)
        let index = H5Tget_member_index(type.id, field)
        guard index >= 0 else {
            throw FormatError(.missingObject, path: path, "\(name) has no field \(field)")
        }
        return HDF5Handle(H5Tget_member_type(type.id, UInt32(index)), .datatype)
    }

    /// A compound memory type holding only `field`, so HDF5 reads (and converts) just that field.
    private func projection(_ field: String, _ memberType: HDF5Handle, size: Int) throws -> HDF5Handle {
        let compound = HDF5Handle(H5Tcreate(H5T_COMPOUND, size), .datatype)
        try HDF5Library.call(path, "selecting field \(field) of \(name)") { H5Tinsert(compound.id, field, 0, memberType.id) }
        return compound
    }
}
