/// Writes Thrift compact-protocol bytes, the encoding of every Parquet header and footer.
///
/// Field ids are written as deltas from the previous field of the same struct, so the writer keeps
/// a stack of "last field id" values across nested structs, as the protocol requires.
struct ThriftCompactWriter {
    private(set) var bytes: [UInt8] = []
    private var lastFieldID: Int16 = 0
    private var fieldIDStack: [Int16] = []

    init() { bytes.reserveCapacity(256) }

    mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func writeZigZag(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func writeFieldHeader(_ id: Int16, _ type: ThriftType) {
        let delta = Int(id) - Int(lastFieldID)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            writeZigZag(Int64(id))
        }
        lastFieldID = id
    }

    mutating func writeI32(_ id: Int16, _ value: Int32) {
        writeFieldHeader(id, .i32)
        writeZigZag(Int64(value))
    }

    mutating func writeI64(_ id: Int16, _ value: Int64) {
        writeFieldHeader(id, .i64)
        writeZigZag(value)
    }

    mutating func writeBool(_ id: Int16, _ value: Bool) {
        writeFieldHeader(id, value ? .boolTrue : .boolFalse)
    }

    mutating func writeBinary(_ id: Int16, _ value: [UInt8]) {
        writeFieldHeader(id, .binary)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func writeString(_ id: Int16, _ value: String) {
        writeBinary(id, Array(value.utf8))
    }

    /// Writes a list header; the caller then writes `count` bare elements.
    mutating func writeListHeader(_ id: Int16, elementType: ThriftType, count: Int) {
        writeFieldHeader(id, .list)
        if count < 15 {
            bytes.append(UInt8(count) << 4 | elementType.rawValue)
        } else {
            bytes.append(0xF0 | elementType.rawValue)
            writeVarint(UInt64(count))
        }
    }

    /// Writes a bare string list element.
    mutating func writeStringElement(_ value: String) {
        let utf8 = Array(value.utf8)
        writeVarint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Writes a bare i32 list element.
    mutating func writeI32Element(_ value: Int32) { writeZigZag(Int64(value)) }

    /// Begins a struct that is a field of the current struct.
    mutating func beginStruct(_ id: Int16) {
        writeFieldHeader(id, .struct)
        beginStructElement()
    }

    /// Begins a struct that is a list element (no field header).
    mutating func beginStructElement() {
        fieldIDStack.append(lastFieldID)
        lastFieldID = 0
    }

    /// Writes the stop byte and returns to the enclosing struct.
    mutating func endStruct() {
        bytes.append(ThriftType.stop.rawValue)
        lastFieldID = fieldIDStack.popLast() ?? 0
    }
}
