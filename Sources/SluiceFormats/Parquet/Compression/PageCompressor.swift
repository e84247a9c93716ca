internal import CSnappy
internal import CZstd

/// Compresses page bodies with one codec, reusing its context across pages.
///
/// Not thread-safe: a writer that compresses on several threads makes one compressor per thread.
final class PageCompressor {
    let codec: ParquetCompression
    private let zstdContext: OpaquePointer?

    init(codec: ParquetCompression, zstdLevel: Int32, path: String) throws {
        self.codec = codec
        switch codec {
        case .uncompressed, .snappy:
            zstdContext = nil
        case .zstd:
            guard let context = ZSTD_createCCtx() else {
                throw FormatError(.ioFailure, path: path, "zstd could not allocate a compression context (out of memory)")
            }
            let status = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, zstdLevel)
            if ZSTD_isError(status) != 0 {
                ZSTD_freeCCtx(context)
                throw FormatError(.invalidArgument, path: path, "zstd rejected compression level \(zstdLevel)")
            }
            zstdContext = context
        case .gzip, .other:
            throw FormatError(.invalidArgument, path: path, "Sluice writes Parquet with ZSTD, SNAPPY or no compression, not \(codec)")
        }
    }

    deinit { if let zstdContext { ZSTD_freeCCtx(zstdContext) } }

    /// Replaces `output` with the compressed form of `input`.
    func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8], path: String) throws {
        switch codec {
        case .zstd:
            let bound = ZSTD_compressBound(input.count)
            resize(&output, to: bound)
            let written = output.withUnsafeMutableBytes { out in
                ZSTD_compress2(zstdContext, out.baseAddress, out.count, input.baseAddress, input.count)
            }
            if ZSTD_isError(written) != 0 {
                let reason = String(cString: ZSTD_getErrorName(written))
                throw FormatError(.ioFailure, path: path, "zstd failed to compress a page: \(reason)")
            }
            output.removeLast(output.count - written)
        case .snappy:
            let bound = snappy_max_compressed_length(input.count)
            resize(&output, to: bound)
            var written = bound
            let status = output.withUnsafeMutableBytes { out in
                snappy_compress(
                    input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count,
                    out.baseAddress?.assumingMemoryBound(to: CChar.self), &written)
            }
            guard status == SNAPPY_OK else {
                throw FormatError(.ioFailure, path: path, "snappy failed to compress a page (status \(status.rawValue))")
            }
            output.removeLast(output.count - written)
        default:
            output.removeAll(keepingCapacity: true)
            output.append(contentsOf: input)
        }
    }

    /// Sets `buffer.count` to `count` without initialising bytes it is about to overwrite twice.
    private func resize(_ buffer: inout [UInt8], to count: Int) {
        if buffer.count > count {
            buffer.removeLast(buffer.count - count)
        } else if buffer.count < count {
            buffer.append(contentsOf: repeatElement(0, count: count - buffer.count))
        }
    }
}
