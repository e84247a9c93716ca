import Foundation

/// A checkpoint's state as one file: named sections, each an array of plain values (counters,
/// per-cell metrics) stored as their bytes, or a small value as JSON.
///
/// Layout: the 8 bytes `SLUICEST`, then per section its name's length (UInt16), its name
/// (UTF-8), its length in bytes (UInt64) and its bytes, all little-endian. Written atomically and
/// durably (``AtomicCommit``): a crash leaves the previous archive or this one, never a torn one.
/// Read back by the same build on the same machine kind, so values keep their native layout.
public struct StateArchive: Sendable {
    private static let magic = Data("SLUICEST".utf8)
    private var sections: [(name: String, bytes: Data)] = []

    public init() {}

    /// Adds `values` under `name`.
    public mutating func put<T: BitwiseCopyable>(_ name: String, _ values: [T]) {
        sections.append((name, values.withUnsafeBytes { Data($0) }))
    }

    /// Adds equally long `rows` under `name`, one after the other (read back with
    /// ``rows(_:count:length:)``).
    public mutating func put<T: BitwiseCopyable>(_ name: String, rows: [[T]]) {
        var bytes = Data(capacity: rows.reduce(0) { $0 + $1.count } * MemoryLayout<T>.stride)
        for row in rows { row.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        sections.append((name, bytes))
    }

    /// Adds `values` under `name` (0 where nil) and which of them are known under `name.known`.
    public mutating func put(_ name: String, optionals values: [Double?]) {
        put(name, values.map { $0 ?? 0 })
        put(name + ".known", values.map { $0 == nil ? UInt8(0) : 1 })
    }

    /// Adds `value` under `name`, as JSON.
    public mutating func put(_ name: String, json value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        sections.append((name, try encoder.encode(value)))
    }

    /// The values stored under `name`.
    public func array<T: BitwiseCopyable>(_ name: String, of type: T.Type = T.self) throws -> [T] {
        let bytes = try section(name)
        guard bytes.count % MemoryLayout<T>.stride == 0 else { throw damaged("section \(name) holds \(bytes.count) bytes, not whole values") }
        return [T](unsafeUninitializedCapacity: bytes.count / MemoryLayout<T>.stride) { buffer, count in
            _ = bytes.copyBytes(to: UnsafeMutableRawBufferPointer(buffer))
            count = bytes.count / MemoryLayout<T>.stride
        }
    }

    /// The `count` rows of `length` values each that ``put(_:rows:)`` stored under `name`.
    public func rows<T: BitwiseCopyable>(_ name: String, count: Int, length: Int, of type: T.Type = T.self) throws -> [[T]] {
        let values = try array(name, of: T.self)
        guard values.count == count * length else { throw damaged("section \(name) holds \(values.count) values, not \(count) rows of \(length)") }
        return (0..<count).map { Array(values[($0 * length)..<(($0 + 1) * length)]) }
    }

    /// The values ``put(_:optionals:)`` stored under `name`.
    public func optionals(_ name: String) throws -> [Double?] {
        let (values, known) = (try array(name, of: Double.self), try array(name + ".known", of: UInt8.self))
        guard values.count == known.count else { throw damaged("section \(name) has \(values.count) values but \(known.count) flags") }
        return zip(values, known).map { $1 == 0 ? nil : $0 }
    }

    /// The value stored under `name` as JSON.
    public func json<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: try section(name))
        } catch let error as FormatError {
            throw error
        } catch {
            throw damaged("section \(name) does not decode: \(error.localizedDescription)")
        }
    }

    /// Total bytes of the archive's file.
    public var byteCount: Int { Self.magic.count + sections.reduce(0) { $0 + 10 + $1.name.utf8.count + $1.bytes.count } }

    /// Writes the archive to `path`, atomically and durably.
    public func write(to path: String) throws {
        var data = Data(capacity: byteCount)
        data.append(Self.magic)
        for (name, bytes) in sections {
            withUnsafeBytes(of: UInt16(name.utf8.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: Array(name.utf8))
            withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(bytes)
        }
        try AtomicCommit.write(data, to: path)
    }

    /// Reads the archive at `path`.
    public init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FormatError(.fileNotFound, path: path, "could not be read: \(error.localizedDescription)")
        }
        self.path = path
        guard data.prefix(Self.magic.count) == Self.magic else { throw damaged("is not a Sluice state archive") }
        var offset = data.startIndex + Self.magic.count
        func read<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            guard data.endIndex - offset >= MemoryLayout<T>.size else { throw damaged("ends inside a section header") }
            var value = T.zero
            withUnsafeMutableBytes(of: &value) { _ = data.copyBytes(to: $0, from: offset..<(offset + MemoryLayout<T>.size)) }
            offset += MemoryLayout<T>.size
            return T(littleEndian: value)
        }
        while offset < data.endIndex {
            let nameLength = Int(try read(UInt16.self))
            guard data.endIndex - offset >= nameLength else { throw damaged("ends inside a section name") }
            let name = String(decoding: data[offset..<(offset + nameLength)], as: UTF8.self)
            offset += nameLength
            let length = try read(UInt64.self)
            guard length <= UInt64(data.endIndex - offset) else { throw damaged("section \(name) runs past the end of the file") }
            sections.append((name, Data(data[offset..<(offset + Int(length))])))
            offset += Int(length)
        }
    }

    private var path = ""

    private func section(_ name: String) throws -> Data {
        guard let section = sections.first(where: { $0.name == name }) else { throw damaged("has no section \(name)") }
        return section.bytes
    }

    private func damaged(_ reason: String) -> FormatError {
        FormatError(.corruptData, path: path, reason)
    }
}
