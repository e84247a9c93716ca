internal import CHDF5

/// What one element of a dataset or attribute is, as Sluice needs to know it.
enum HDF5ElementType: Hashable, Sendable, CustomStringConvertible {
    case integer(signed: Bool, bytes: Int, littleEndian: Bool)
    case float(bytes: Int, littleEndian: Bool)
    case string(variableLength: Bool, bytes: Int, utf8: Bool)
    /// An enumeration (h5py writes numpy booleans as an enum of `FALSE`/`TRUE` over int8).
    case enumeration(bytes: Int, members: [String: Int64])
    case compound(fields: [String])
    case reference
    case other(String)

    var isNumeric: Bool {
        switch self {
        case .integer, .float: true
        default: false
        }
    }

    var isString: Bool {
        if case .string = self { return true }
        return false
    }

    /// Whether this is h5py's encoding of a numpy bool.
    var isBooleanEnum: Bool {
        if case .enumeration(_, let members) = self { return Set(members.keys) == ["FALSE", "TRUE"] }
        return false
    }

    var description: String {
        switch self {
        case .integer(let signed, let bytes, _): "\(signed ? "int" : "uint")\(bytes * 8)"
        case .float(let bytes, _): "float\(bytes * 8)"
        case .string(let variable, let bytes, let utf8):
            variable ? "string (variable, \(utf8 ? "UTF-8" : "ASCII"))" : "string (fixed \(bytes), \(utf8 ? "UTF-8" : "ASCII"))"
        case .enumeration: isBooleanEnum ? "bool" : "enum"
        case .compound(let fields): "compound {\(fields.joined(separator: ", "))}"
        case .reference: "object reference"
        case .other(let name): name
        }
    }

    /// Describes the HDF5 datatype `type`.
    static func describe(_ type: hid_t) -> HDF5ElementType {
        let bytes = Int(H5Tget_size(type))
        let littleEndian = H5Tget_order(type) != H5T_ORDER_BE
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            return .integer(signed: H5Tget_sign(type) != H5T_SGN_NONE, bytes: bytes, littleEndian: littleEndian)
        case H5T_FLOAT:
            return .float(bytes: bytes, littleEndian: littleEndian)
        case H5T_STRING:
            return .string(variableLength: H5Tis_variable_str(type) > 0, bytes: bytes, utf8: H5Tget_cset(type) == H5T_CSET_UTF8)
        case H5T_ENUM:
            var members: [String: Int64] = [:]
            let count = max(0, H5Tget_nmembers(type))
            let base = H5Tget_super(type)
            defer { H5Tclose(base) }
            for i in 0..<count {
                guard let cname = H5Tget_member_name(type, UInt32(i)) else { continue }
                defer { H5free_memory(cname) }
                var raw = [UInt8](repeating: 0, count: max(8, bytes))
                guard H5Tget_member_value(type, UInt32(i), &raw) >= 0 else { continue }
                let signed = H5Tget_sign(base) != H5T_SGN_NONE
                members[String(cString: cname)] = HDF5ElementType.integerValue(raw, bytes: bytes, signed: signed)
            }
            return .enumeration(bytes: bytes, members: members)
        case H5T_COMPOUND:
            let count = max(0, H5Tget_nmembers(type))
            let fields = (0..<count).map { i -> String in
                guard let cname = H5Tget_member_name(type, UInt32(i)) else { return "?" }
                defer { H5free_memory(cname) }
                return String(cString: cname)
            }
            return .compound(fields: fields)
        case H5T_REFERENCE:
            return .reference
        case H5T_ARRAY: return .other("array")
        case H5T_OPAQUE: return .other("opaque")
        case H5T_BITFIELD: return .other("bitfield")
        case H5T_VLEN: return .other("variable-length sequence")
        case H5T_TIME: return .other("time")
        default: return .other("unknown")
        }
    }

    /// A little-endian integer of `bytes` bytes, sign-extended when `signed`.
    static func integerValue(_ raw: [UInt8], bytes: Int, signed: Bool) -> Int64 {
        var value: UInt64 = 0
        for i in 0..<min(bytes, 8) { value |= UInt64(raw[i]) << (8 * UInt64(i)) }
        if signed, bytes < 8, raw[bytes - 1] & 0x80 != 0 {
            value |= ~UInt64(0) << (8 * UInt64(bytes))
        }
        return Int64(bitPattern: value)
    }
}
