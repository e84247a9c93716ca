/// Reads Thrift compact-protocol bytes with every length and count checked against what is left.
///
/// Parquet footers and page headers come from files that may be truncated or corrupt, so no value
/// read here is trusted: lengths must fit in the remaining bytes, nesting is bounded (a crafted
/// file cannot overflow the stack), and every failure is a `ThriftCompactReader.Failure`, which
/// callers turn into a `FormatError` that names the file.
struct ThriftCompactReader {
    /// Why the bytes did not decode.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    private var lastFieldID: Int16 = 0
    private var fieldIDStack: [Int16] = []
    private var pendingBool: Bool?
    private static let maximumDepth = 64

    /// Reads from `bytes` starting at `position`. The buffer must outlive the reader.
    init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    mutating func readByte() throws(Failure) -> UInt8 {
        guard position < bytes.count else { throw Failure(description: "the Thrift data ends early") }
        let byte = bytes[position]
        position += 1
        return byte
    }

    mutating func readVarint() throws(Failure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            if shift >= 64 { throw Failure(description: "a Thrift varint is longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func readZigZag() throws(Failure) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func readI32() throws(Failure) -> Int32 {
        let value = try readZigZag()
        guard let narrowed = Int32(exactly: value) else {
            throw Failure(description: "a Thrift i32 value \(value) is out of range")
        }
        return narrowed
    }

    mutating func readI64() throws(Failure) -> Int64 { try readZigZag() }

    mutating func readBinary() throws(Failure) -> [UInt8] {
        let length = try readVarint()
        guard length <= UInt64(remaining) else {
            throw Failure(description: "a Thrift string of \(length) bytes runs past the end of its data")
        }
        let start = position
        position += Int(length)
        return Array(bytes[start..<position])
    }

    mutating func readString() throws(Failure) -> String {
        String(decoding: try readBinary(), as: UTF8.self)
    }

    /// Reads the value of a boolean field (stored in its header) or of a boolean list element.
    mutating func readBool() throws(Failure) -> Bool {
        if let value = pendingBool {
            pendingBool = nil
            return value
        }
        return try readByte() == 1
    }

    /// Reads a list header: the element type and a count that is checked against the bytes left
    /// (every element takes at least one byte, so a larger count is a corrupt file).
    mutating func readListHeader() throws(Failure) -> (elementType: ThriftType, count: Int) {
        let header = try readByte()
        guard let type = ThriftType(rawValue: header & 0x0F) else {
            throw Failure(description: "a Thrift list has the unknown element type \(header & 0x0F)")
        }
        var count = UInt64(header >> 4)
        if count == 15 { count = try readVarint() }
        guard count <= UInt64(remaining) else {
            throw Failure(description: "a Thrift list claims \(count) elements but only \(remaining) bytes are left")
        }
        return (type, Int(count))
    }

    /// Calls `body` for each field of the struct that starts here, until its stop byte.
    ///
    /// `body` must consume the field's value (or call `skip`).
    mutating func readStruct(
        _ body: (inout ThriftCompactReader, Int16, ThriftType) throws -> Void
    ) throws {
        guard fieldIDStack.count < Self.maximumDepth else {
            throw Failure(description: "Thrift structs are nested more than \(Self.maximumDepth) deep")
        }
        fieldIDStack.append(lastFieldID)
        lastFieldID = 0
        while true {
            let header = try readByte()
            if header == 0 { break }
            guard let type = ThriftType(rawValue: header & 0x0F), type != .stop else {
                throw Failure(description: "a Thrift field has the unknown type \(header & 0x0F)")
            }
            let delta = header >> 4
            let id: Int16
            if delta != 0 {
                id = lastFieldID &+ Int16(delta)
            } else {
                let raw = try readZigZag()
                guard let narrowed = Int16(exactly: raw) else {
                    throw Failure(description: "a Thrift field id \(raw) is out of range")
                }
                id = narrowed
            }
            lastFieldID = id
            if type == .boolTrue || type == .boolFalse { pendingBool = type == .boolTrue }
            try body(&self, id, type)
            pendingBool = nil
        }
        lastFieldID = fieldIDStack.removeLast()
    }

    /// Skips a value of `type` (a field or element the caller does not use).
    mutating func skip(_ type: ThriftType) throws {
        try skip(type, depth: 0)
    }

    private mutating func skip(_ type: ThriftType, depth: Int) throws {
        guard depth < Self.maximumDepth else {
            throw Failure(description: "Thrift values are nested more than \(Self.maximumDepth) deep")
        }
        switch type {
        case .stop: throw Failure(description: "a Thrift value has the stop type")
        case .boolTrue, .boolFalse: _ = try readBool()
        case .byte: _ = try readByte()
        case .i16, .i32, .i64: _ = try readVarint()
        case .double:
            guard remaining >= 8 else { throw Failure(description: "the Thrift data ends early") }
            position += 8
        case .binary:
            let length = try readVarint()
            guard length <= UInt64(remaining) else {
                throw Failure(description: "a Thrift string of \(length) bytes runs past the end of its data")
            }
            position += Int(length)
        case .list, .set:
            let (elementType, count) = try readListHeader()
            for _ in 0..<count { try skip(elementType, depth: depth + 1) }
        case .map:
            let count = try readVarint()
            guard count <= UInt64(remaining) else {
                throw Failure(description: "a Thrift map claims \(count) entries but only \(remaining) bytes are left")
            }
            if count == 0 { return }
            let types = try readByte()
            guard let keyType = ThriftType(rawValue: types >> 4), let valueType = ThriftType(rawValue: types & 0x0F) else {
                throw Failure(description: "a Thrift map has unknown key or value types")
            }
            for _ in 0..<count {
                try skip(keyType, depth: depth + 1)
                try skip(valueType, depth: depth + 1)
            }
        case .struct:
            guard fieldIDStack.count + depth < Self.maximumDepth else {
                throw Failure(description: "Thrift structs are nested more than \(Self.maximumDepth) deep")
            }
            try readStruct { reader, _, fieldType in try reader.skip(fieldType, depth: depth + 1) }
        }
    }
}
