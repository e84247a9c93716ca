/// A column of byte strings (usually UTF-8) stored contiguously, as Arrow does: all bytes in one
/// buffer and `count + 1` offsets into it.
///
/// One buffer instead of `[String]` keeps encoding and decoding free of per-value allocations.
public struct ParquetStrings: Sendable, Hashable {
    /// `count + 1` ascending offsets into `bytes`; string `i` is `bytes[offsets[i]..<offsets[i + 1]]`.
    public private(set) var offsets: [Int]
    /// The concatenated bytes of all strings.
    public private(set) var bytes: [UInt8]

    /// No strings.
    public init() {
        offsets = [0]
        bytes = []
    }

    /// The UTF-8 bytes of `strings`.
    public init<S: Sequence<String>>(_ strings: S) {
        self.init()
        for string in strings { append(string) }
    }

    /// Strings from raw parts; `offsets` must start at 0, ascend, and end at `bytes.count`.
    public init(offsets: [Int], bytes: [UInt8]) throws {
        guard let first = offsets.first, first == 0, offsets.last == bytes.count,
            zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 })
        else {
            throw FormatError(.invalidArgument, path: "", "string offsets must start at 0, ascend and end at the byte count")
        }
        self.offsets = offsets
        self.bytes = bytes
    }

    init(uncheckedOffsets offsets: [Int], bytes: [UInt8]) {
        self.offsets = offsets
        self.bytes = bytes
    }

    /// How many strings there are.
    public var count: Int { offsets.count - 1 }

    /// String `index`, decoded as UTF-8 (invalid bytes become U+FFFD).
    public subscript(index: Int) -> String {
        String(decoding: bytes[offsets[index]..<offsets[index + 1]], as: UTF8.self)
    }

    /// All strings, decoded as UTF-8.
    public var strings: [String] { (0..<count).map { self[$0] } }

    /// Appends one string.
    public mutating func append(_ string: String) {
        bytes.append(contentsOf: string.utf8)
        offsets.append(bytes.count)
    }

    /// Appends raw bytes as one string.
    public mutating func append<C: Collection<UInt8>>(bytes newBytes: C) {
        bytes.append(contentsOf: newBytes)
        offsets.append(bytes.count)
    }

    /// Appends every string of `other`.
    public mutating func append(contentsOf other: ParquetStrings) {
        let base = bytes.count
        bytes.append(contentsOf: other.bytes)
        offsets.reserveCapacity(offsets.count + other.count)
        for offset in other.offsets.dropFirst() { offsets.append(base + offset) }
    }

    /// Strings `range` as a new value.
    public func slice(_ range: Range<Int>) -> ParquetStrings {
        let start = offsets[range.lowerBound]
        let end = offsets[range.upperBound]
        return ParquetStrings(
            uncheckedOffsets: offsets[range.lowerBound...range.upperBound].map { $0 - start },
            bytes: Array(bytes[start..<end]))
    }

    mutating func reserveCapacity(strings: Int, bytes byteCount: Int) {
        offsets.reserveCapacity(strings + 1)
        bytes.reserveCapacity(byteCount)
    }
}
