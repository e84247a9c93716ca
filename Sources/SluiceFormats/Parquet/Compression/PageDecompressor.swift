internal import CSnappy
internal import CZlib
internal import CZstd

/// Decompresses page bodies of any codec Sluice reads (ZSTD, SNAPPY, GZIP, uncompressed).
///
/// The uncompressed size comes from a page header, which may be corrupt, so it is checked before
/// anything is allocated: against a hard cap, against the size the stream itself declares (zstd
/// frames and snappy blocks carry it), and against the codec's largest possible ratio (gzip).
final class PageDecompressor {
    private var zstdContext: OpaquePointer?
    /// No page of a sane file is larger than this; Parquet writers use pages of about 1 MiB.
    static let maximumPageSize = 1 << 30

    init() {}

    deinit { if let zstdContext { ZSTD_freeDCtx(zstdContext) } }

    /// Returns `input` decompressed to exactly `uncompressedSize` bytes.
    func decompress(
        _ input: UnsafeRawBufferPointer, codec: ParquetCompression, uncompressedSize: Int, path: String
    ) throws -> [UInt8] {
        func corrupt(_ message: String) -> FormatError { FormatError(.corruptData, path: path, message) }
        guard uncompressedSize >= 0, uncompressedSize <= Self.maximumPageSize else {
            throw corrupt("a page header gives the impossible uncompressed size \(uncompressedSize)")
        }
        switch codec {
        case .uncompressed:
            guard input.count == uncompressedSize else {
                throw corrupt("an uncompressed page holds \(input.count) bytes but its header says \(uncompressedSize)")
            }
            return Array(input)
        case .zstd:
            let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
            // UInt64.max is ZSTD_CONTENTSIZE_UNKNOWN and UInt64.max - 1 ZSTD_CONTENTSIZE_ERROR (macros).
            if declared == UInt64.max - 1 { throw corrupt("a ZSTD page is not a zstd frame") }
            if declared != UInt64.max && declared != UInt64(uncompressedSize) {
                throw corrupt("a ZSTD page inflates to \(declared) bytes but its header says \(uncompressedSize)")
            }
            if zstdContext == nil { zstdContext = ZSTD_createDCtx() }
            guard let context = zstdContext else {
                throw FormatError(.ioFailure, path: path, "zstd could not allocate a decompression context (out of memory)")
            }
            var output = [UInt8](repeating: 0, count: uncompressedSize)
            let written = output.withUnsafeMutableBytes { out in
                ZSTD_decompressDCtx(context, out.baseAddress, out.count, input.baseAddress, input.count)
            }
            if ZSTD_isError(written) != 0 {
                throw corrupt("a ZSTD page does not decompress: \(String(cString: ZSTD_getErrorName(written)))")
            }
            guard written == uncompressedSize else {
                throw corrupt("a ZSTD page inflates to \(written) bytes but its header says \(uncompressedSize)")
            }
            return output
        case .snappy:
            var declared = 0
            let lengthStatus = snappy_uncompressed_length(
                input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count, &declared)
            guard lengthStatus == SNAPPY_OK, declared == uncompressedSize else {
                throw corrupt("a SNAPPY page does not match its header's size \(uncompressedSize)")
            }
            var output = [UInt8](repeating: 0, count: uncompressedSize)
            var written = uncompressedSize
            let status = output.withUnsafeMutableBytes { out in
                snappy_uncompress(
                    input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count,
                    out.baseAddress?.assumingMemoryBound(to: CChar.self), &written)
            }
            guard status == SNAPPY_OK, written == uncompressedSize else {
                throw corrupt("a SNAPPY page does not decompress")
            }
            return output
        case .gzip:
            // Deflate cannot expand data more than 1032:1, so a larger claim is a corrupt header.
            guard uncompressedSize <= input.count * 1032 + 64 else {
                throw corrupt("a GZIP page of \(input.count) bytes cannot inflate to \(uncompressedSize) bytes")
            }
            return try inflateGzip(input, uncompressedSize: uncompressedSize, path: path)
        case .other:
            throw FormatError(.unsupportedFilter, path: path, "pages are compressed with \(codec), which Sluice does not read (it reads ZSTD, SNAPPY, GZIP and uncompressed)")
        }
    }

    private func inflateGzip(_ input: UnsafeRawBufferPointer, uncompressedSize: Int, path: String) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: uncompressedSize)
        var stream = z_stream()
        // 15 + 32: a 32 KiB window, and accept both gzip and zlib headers.
        guard sluice_inflateInit2(&stream, 15 + 32) == Z_OK else {
            throw FormatError(.ioFailure, path: path, "zlib could not start inflating a GZIP page")
        }
        defer { inflateEnd(&stream) }
        var status: Int32 = Z_OK
        output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(out.count)
            while true {
                status = inflate(&stream, Z_FINISH)
                // Concatenated gzip members: start the next one on the remaining input.
                if status == Z_STREAM_END && stream.avail_in > 0 && stream.avail_out > 0 {
                    if inflateReset(&stream) != Z_OK { break }
                    continue
                }
                break
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) <= uncompressedSize, stream.avail_out == 0 else {
            throw FormatError(.corruptData, path: path, "a GZIP page does not inflate to the \(uncompressedSize) bytes its header promises")
        }
        return output
    }
}
