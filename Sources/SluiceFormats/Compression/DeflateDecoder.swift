internal import CDeflate

/// A libdeflate decompressor for whole zlib streams (HDF5's deflate filter writes zlib format).
///
/// One decoder per thread: libdeflate decompressors are not shareable, and allocating one is cheap.
final class DeflateDecoder {
    private let decompressor: OpaquePointer

    init() {
        guard let decompressor = libdeflate_alloc_decompressor() else {
            fatalError("libdeflate could not allocate a decompressor (out of memory)")
        }
        self.decompressor = decompressor
    }

    deinit { libdeflate_free_decompressor(decompressor) }

    /// Why a stream did not inflate.
    enum Failure: Error, CustomStringConvertible {
        case badData, shortOutput(Int), insufficientSpace

        var description: String {
            switch self {
            case .badData: "the compressed bytes are not a valid zlib stream"
            case .shortOutput(let bytes): "the stream inflated to \(bytes) bytes, fewer than expected"
            case .insufficientSpace: "the stream inflates to more bytes than expected"
            }
        }
    }

    /// Inflates the zlib stream `input` into exactly `output.count` bytes.
    func inflateZlib(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(Failure) {
        var written = 0
        let result = libdeflate_zlib_decompress(
            decompressor, input.baseAddress, input.count, output.baseAddress, output.count, &written)
        switch result {
        case LIBDEFLATE_SUCCESS:
            if written != output.count { throw .shortOutput(written) }
        case LIBDEFLATE_INSUFFICIENT_SPACE: throw .insufficientSpace
        case LIBDEFLATE_SHORT_OUTPUT: throw .shortOutput(written)
        default: throw .badData
        }
    }
}
