internal import CHDF5

/// An open attribute of a group or dataset.
struct HDF5Attribute {
    let path: String
    let handle: HDF5Handle
    /// `<object>@<attribute>`, for messages.
    let name: String
    let elementType: HDF5ElementType
    /// Number of elements (1 for a scalar).
    let count: Int

    init(owner: some HDF5Object, handle: HDF5Handle, attributeName: String) {
        self.path = owner.path
        self.handle = handle
        self.name = "attribute \(attributeName) of \(owner.name)"
        let type = HDF5Handle(H5Aget_type(handle.id), .datatype)
        self.elementType = HDF5ElementType.describe(type.id)
        let space = HDF5Handle(H5Aget_space(handle.id), .dataspace)
        self.count = Int(max(0, H5Sget_simple_extent_npoints(space.id)))
    }

    /// The values as strings.
    func strings() throws -> [String] {
        guard elementType.isString else {
            throw FormatError(.unsupportedType, path: path, "\(name) holds \(elementType), not strings")
        }
        let type = HDF5Handle(H5Aget_type(handle.id), .datatype)
        let space = HDF5Handle(H5Aget_space(handle.id), .dataspace)
        let attribute = handle.id
        return try HDF5Strings.read(path: path, what: name, fileType: type.id, count: count, space: space.id) {
            H5Aread(attribute, $0, $1)
        }
    }

    /// The values as integers (integer, boolean-enum or integral float attributes).
    func integers() throws -> [Int64] {
        switch elementType {
        case .integer, .enumeration:
            let type = HDF5Handle(H5Aget_type(handle.id), .datatype)
            let native = HDF5Handle(H5Tget_native_type(type.id, H5T_DIR_ASCEND), .datatype)
            let width = H5Tget_size(native.id)
            let signed: Bool
            if case .integer(let s, _, _) = elementType { signed = s } else { signed = true }
            var raw = [UInt8](repeating: 0, count: width * count)
            _ = try raw.withUnsafeMutableBytes { (buffer) in
                try HDF5Library.call(path, "reading \(name)") { H5Aread(handle.id, native.id, buffer.baseAddress!) }
            }
            return (0..<count).map { i in
                HDF5ElementType.integerValue(Array(raw[(i * width)..<((i + 1) * width)]), bytes: width, signed: signed)
            }
        case .float:
            var values = [Double](repeating: 0, count: count)
            try HDF5Library.call(path, "reading \(name)") { H5Aread(handle.id, sluice_H5T_NATIVE_DOUBLE(), &values) }
            return try values.map { (value) -> Int64 in
                guard let integer = Int64(exactly: value) else {
                    throw FormatError(.invalidValue, path: path, "\(name) holds \(value), which is not a whole number")
                }
                return integer
            }
        default:
            throw FormatError(.unsupportedType, path: path, "\(name) holds \(elementType), not integers")
        }
    }

    // MARK: Writing

    static func write(on owner: some HDF5Object, _ attributeName: String, strings: [String], scalar: Bool) throws {
        let type = HDF5Handle(HDF5Strings.variableUTF8Type(), .datatype)
        let space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, [hsize_t(strings.count)], nil)
        let spaceHandle = HDF5Handle(space, .dataspace)
        let attribute = try create(on: owner, attributeName, type: type.id, space: spaceHandle.id)
        _ = try HDF5Strings.withCStrings(strings) { (buffer) in
            try HDF5Library.call(owner.path, "writing attribute \(attributeName) of \(owner.name)") {
                H5Awrite(attribute.id, type.id, buffer)
            }
        }
    }

    static func write(on owner: some HDF5Object, _ attributeName: String, integers: [Int64]) throws {
        let space = HDF5Handle(H5Screate_simple(1, [hsize_t(integers.count)], nil), .dataspace)
        let attribute = try create(on: owner, attributeName, type: sluice_H5T_NATIVE_INT64(), space: space.id)
        try HDF5Library.call(owner.path, "writing attribute \(attributeName) of \(owner.name)") {
            H5Awrite(attribute.id, sluice_H5T_NATIVE_INT64(), integers)
        }
    }

    static func write(on owner: some HDF5Object, _ attributeName: String, bool: Bool) throws {
        let type = HDF5Handle(booleanEnumType(), .datatype)
        let space = HDF5Handle(H5Screate(H5S_SCALAR), .dataspace)
        let attribute = try create(on: owner, attributeName, type: type.id, space: space.id)
        var value: Int8 = bool ? 1 : 0
        try HDF5Library.call(owner.path, "writing attribute \(attributeName) of \(owner.name)") {
            H5Awrite(attribute.id, type.id, &value)
        }
    }

    /// h5py's encoding of numpy `bool`: an enum over int8 with members FALSE = 0 and TRUE = 1.
    static func booleanEnumType() -> hid_t {
        let type = H5Tenum_create(sluice_H5T_NATIVE_INT8())
        var no: Int8 = 0
        var yes: Int8 = 1
        H5Tenum_insert(type, "FALSE", &no)
        H5Tenum_insert(type, "TRUE", &yes)
        return type
    }

    private static func create(on owner: some HDF5Object, _ attributeName: String, type: hid_t, space: hid_t) throws -> HDF5Handle {
        if owner.hasAttribute(attributeName) {
            H5Adelete(owner.handle.id, attributeName)
        }
        let id = try HDF5Library.call(owner.path, "creating attribute \(attributeName) of \(owner.name)") {
            H5Acreate2(owner.handle.id, attributeName, type, space, sluice_H5P_DEFAULT(), sluice_H5P_DEFAULT())
        }
        return HDF5Handle(id, .attribute)
    }
}
