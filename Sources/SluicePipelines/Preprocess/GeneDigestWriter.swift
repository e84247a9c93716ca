import Foundation
import SluiceFormats

/// The bytes of a digest file (``GeneDigestFile``), built one gene at a time in ascending code
/// points of the ids, and committed atomically.
struct GeneDigestWriter {
    private var bytes: [UInt8]
    private var genes: UInt32 = 0
    /// Where the gene count goes once it is known.
    private let countOffset: Int

    init(relativeError: Double) {
        var bytes = [UInt8](GeneDigestReader.magic)
        withUnsafeBytes(of: relativeError.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        countOffset = bytes.count
        self.bytes = bytes + [0, 0, 0, 0]
    }

    /// Appends a gene: its id and its buckets (ascending indexes, positive counts).
    mutating func append(id: String, buckets: [(index: Int32, count: UInt32)]) {
        let utf8 = Array(id.utf8)
        put(UInt32(utf8.count))
        bytes += utf8
        put(UInt32(buckets.count))
        put(buckets.first?.index ?? 0)
        var previous = buckets.first?.index ?? 0
        for (bucket, count) in buckets {
            putVarint(UInt64(bucket - previous))
            putVarint(UInt64(count))
            previous = bucket
        }
        genes += 1
    }

    /// Writes the file atomically.
    mutating func commit(to path: String) throws {
        withUnsafeBytes(of: genes.littleEndian) { bytes.replaceSubrange(countOffset..<countOffset + 4, with: $0) }
        try AtomicCommit.write(Data(bytes), to: path)
    }

    private mutating func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }

    private mutating func putVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}
