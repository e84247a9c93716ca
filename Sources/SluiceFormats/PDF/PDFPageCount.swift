import CZlib
import Foundation

/// How many pages a PDF has, found without a PDF library: its page objects (`/Type /Page`)
/// are counted, both those written plainly and those packed in compressed object streams
/// (`/Type /ObjStm`, Flate-encoded, as PDF 1.5 writers make them). What batches of pages are
/// weighed by (a `slurm` stage's `batch_weight: pages`); a file that is not a PDF has none.
public enum PDFPageCount {
    /// The pages of the PDF at `path`; nil when it is not a PDF (no `%PDF-` header).
    public static func of(_ path: String) throws -> Int? {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        return data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard bytes.starts(with: Array("%PDF-".utf8)) else { return nil }
            var pages = pageObjects(in: bytes)
            for stream in objectStreams(in: bytes) {
                guard let inflated = inflate(UnsafeBufferPointer(rebasing: bytes[stream]), limit: 256 << 20) else { continue }
                pages += inflated.withUnsafeBufferPointer { pageObjects(in: $0) }
            }
            return pages
        }
    }

    /// Occurrences of `/Type /Page` (not `/Pages`), with any white space between the two names.
    static func pageObjects(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        var index = 0
        while let start = find(Array("/Type".utf8), in: bytes, from: index) {
            var next = skipSpace(bytes, start + 5)
            if matches(Array("/Page".utf8), bytes, at: next) {
                next += 5
                if next >= bytes.count || !isNameCharacter(bytes[next]) { count += 1 }
            }
            index = start + 5
        }
        return count
    }

    /// Where the raw data of every stream whose dictionary says `/Type /ObjStm` and
    /// `/FlateDecode` lies in `bytes`.
    static func objectStreams(in bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var streams: [Range<Int>] = []
        var index = 0
        while let start = find(Array("/ObjStm".utf8), in: bytes, from: index) {
            index = start + 7
            // The dictionary runs from the object's start to `stream`; its filter must be Flate.
            guard let keyword = find(Array("stream".utf8), in: bytes, from: index) else { break }
            let dictionary = UnsafeBufferPointer(rebasing: bytes[max(0, start - 512)..<keyword])
            guard find(Array("/FlateDecode".utf8), in: dictionary, from: 0) != nil else { continue }
            // The data starts after the end of line that follows `stream`.
            var dataStart = keyword + 6
            if dataStart < bytes.count, bytes[dataStart] == 13 { dataStart += 1 }
            if dataStart < bytes.count, bytes[dataStart] == 10 { dataStart += 1 }
            guard let end = find(Array("endstream".utf8), in: bytes, from: dataStart) else { break }
            streams.append(dataStart..<end)
            index = end + 9
        }
        return streams
    }

    /// Inflates zlib data, stopping at its end (trailing end-of-line bytes are ignored); nil
    /// when it is not zlib data or would grow past `limit` bytes.
    static func inflate(_ input: UnsafeBufferPointer<UInt8>, limit: Int) -> [UInt8]? {
        var stream = z_stream()
        guard sluice_inflateInit2(&stream, 15) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        // zlib reads its input without writing to it.
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
        stream.avail_in = uInt(input.count)
        while true {
            let status = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            output += chunk[0..<(chunk.count - Int(stream.avail_out))]
            if output.count > limit { return nil }
            if status == Z_STREAM_END { return output }
            guard status == Z_OK, stream.avail_in > 0 || stream.avail_out == 0 else { return nil }
        }
    }

    private static func find(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard needle.count <= bytes.count else { return nil }
        var index = start
        let last = bytes.count - needle.count
        while index <= last {
            if bytes[index] == needle[0], matches(needle, bytes, at: index) { return index }
            index += 1
        }
        return nil
    }

    private static func matches(_ needle: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index >= 0, index + needle.count <= bytes.count else { return false }
        for offset in needle.indices where bytes[index + offset] != needle[offset] { return false }
        return true
    }

    private static func skipSpace(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var index = start
        while index < bytes.count, [0, 9, 10, 12, 13, 32].contains(bytes[index]) { index += 1 }
        return index
    }

    /// Letters, digits and the punctuation a PDF name may hold (a `/Pages` is not a `/Page`).
    private static func isNameCharacter(_ byte: UInt8) -> Bool {
        !([0, 9, 10, 12, 13, 32].contains(byte) || Array("/<>[]()%{}".utf8).contains(byte))
    }
}
