import Foundation
import SluiceFormats

/// A digest file (``GeneDigestFile``) read one gene at a time, in the file's order (ascending
/// code points of the ids): merges and medians stream through files whose dense form would take
/// gigabytes. The file is mapped, not copied; every number is checked as it is read.
struct GeneDigestReader {
    let path: String
    private(set) var relativeError: Double
    private(set) var geneCount: Int
    private let data: Data
    private var offset: Int
    private var genesRead = 0
    private var previousID: [UInt8]?

    static let magic = Data("SLUICE-DIGEST-2\n".utf8)
    /// The most buckets one gene's values may span: every positive double, at the smallest
    /// relative error a digest allows (0.0001).
    static let widestSpan: Int64 = 8_000_000

    init(path: String) throws {
        self.path = path
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw FormatError(.fileNotFound, path: path, "cannot be read (a median digest)")
        }
        guard data.starts(with: Self.magic) else { throw FormatError(.unknownFormat, path: path, "is not a median digest (sluice preprocess digest writes them)") }
        self.data = data
        offset = data.startIndex + Self.magic.count
        relativeError = 0
        geneCount = 0
        let relativeError = Double(bitPattern: try take(UInt64.self))
        guard relativeError > 0, relativeError < 1 else { throw FormatError(.corruptData, path: path, "gives the relative error \(relativeError) (a median digest)") }
        self.relativeError = relativeError
        geneCount = Int(try take(UInt32.self))
    }

    /// The next gene's id and its buckets (ascending indexes, positive counts); nil after the last.
    mutating func next() throws -> (id: String, buckets: [(index: Int32, count: UInt32)])? {
        guard genesRead < geneCount else { return nil }
        genesRead += 1
        let length = Int(try take(UInt32.self))
        guard offset + length <= data.endIndex else { throw FormatError(.corruptData, path: path, "ends early (a median digest)") }
        let id = [UInt8](data[offset..<offset + length])
        offset += length
        // Merges pair genes by walking files in step: the order is part of the format.
        if let previousID, !previousID.lexicographicallyPrecedes(id) {
            throw FormatError(.corruptData, path: path, "holds gene ids out of order (a median digest)")
        }
        previousID = id
        let bucketCount = try take(UInt32.self)
        let lowest = Int64(try take(Int32.self))
        var bucket = lowest
        var buckets: [(index: Int32, count: UInt32)] = []
        buckets.reserveCapacity(Int(min(bucketCount, 1 << 16)))
        for position in 0..<bucketCount {
            let step = try varint()
            // Buckets ascend, and span what positive doubles can (a few million at most).
            guard position == 0 ? step == 0 : step > 0, step <= UInt64(Self.widestSpan), bucket + Int64(step) - lowest <= Self.widestSpan else {
                throw FormatError(.corruptData, path: path, "holds buckets out of order or spread too wide (a median digest)")
            }
            bucket += Int64(step)
            let count = try varint()
            guard count > 0, count <= UInt64(UInt32.max) else { throw FormatError(.corruptData, path: path, "holds a count of \(count) (a median digest)") }
            buckets.append((Int32(bucket), UInt32(count)))
        }
        return (String(decoding: id, as: UTF8.self), buckets)
    }

    private mutating func take<T: FixedWidthInteger>(_: T.Type) throws -> T {
        guard offset + MemoryLayout<T>.size <= data.endIndex else { throw FormatError(.corruptData, path: path, "ends early (a median digest)") }
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: data[offset..<offset + MemoryLayout<T>.size]) }
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    private mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard offset < data.endIndex else { throw FormatError(.corruptData, path: path, "ends early (a median digest)") }
            let byte = data[offset]
            offset += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return value }
        }
        throw FormatError(.corruptData, path: path, "holds a number longer than 64 bits (a median digest)")
    }
}
