/// One `row column value` line of a Matrix Market coordinate file, parsed from raw bytes.
struct CoordinateLine {
    var row: Int
    var column: Int
    var value: Float

    /// Parses a line; `nil` when it is not two positive integers and a number (or, for
    /// `pattern` files, just the two integers).
    init?(_ bytes: UnsafeBufferPointer<UInt8>, pattern: Bool) {
        var position = 0
        guard let row = Self.integer(bytes, &position), let column = Self.integer(bytes, &position) else { return nil }
        self.row = row
        self.column = column
        if pattern {
            value = 1
            return
        }
        Self.skipSpaces(bytes, &position)
        let start = position
        while position < bytes.count, bytes[position] != 0x20, bytes[position] != 0x09 { position += 1 }
        guard position > start else { return nil }
        // Integers (the common case for counts) are parsed directly; anything else goes through Float.
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
        if let whole = Self.plainInteger(slice) {
            value = Float(whole)
        } else if let parsed = Float(String(decoding: slice, as: UTF8.self)) {
            value = parsed
        } else {
            return nil
        }
        Self.skipSpaces(bytes, &position)
        guard position == bytes.count else { return nil }
    }

    private static func skipSpaces(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int) {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
    }

    private static func integer(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int) -> Int? {
        skipSpaces(bytes, &position)
        var value = 0
        let start = position
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
            value = value &* 10 &+ Int(bytes[position] - 0x30)
            position += 1
        }
        guard position > start, position - start < 19 else { return nil }
        return value
    }

    private static func plainInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count < 19 else { return nil }
        var value = 0
        var index = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < bytes.count else { return nil }
        while index < bytes.count {
            let digit = bytes[index]
            guard digit >= 0x30, digit <= 0x39 else { return nil }
            value = value * 10 + Int(digit - 0x30)
            index += 1
        }
        return negative ? -value : value
    }
}
