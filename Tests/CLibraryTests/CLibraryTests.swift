import CDeflate
import CLinearAlgebra
import CSnappy
import CZstd
import Testing

/// The system libraries link and answer: a smoke test of each module map and its pkg-config.
@Suite struct CLibraryTests {
    @Test("CBLAS and LAPACKE link and compute") func linearAlgebra() {
        let x: [Double] = [1, 2, 3]
        let y: [Double] = [4, 5, 6]
        #expect(cblas_ddot(3, x, 1, y, 1) == 32)
        // Cholesky of [[4, 2], [2, 3]] is [[2, 0], [1, √2]].
        var a: [Double] = [4, 2, 2, 3]
        let info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), 2, &a, 2)
        #expect(info == 0)
        #expect(a[0] == 2 && a[2] == 1 && abs(a[3] - 2.0.squareRoot()) < 1e-12)
    }

    @Test("zstd, snappy and libdeflate round-trip a buffer") func codecs() {
        let input = [UInt8]((0..<10_000).map { UInt8($0 % 251) })
        var zstd = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let zsize = ZSTD_compress(&zstd, zstd.count, input, input.count, 3)
        #expect(ZSTD_isError(zsize) == 0)
        var back = [UInt8](repeating: 0, count: input.count)
        #expect(ZSTD_decompress(&back, back.count, zstd, zsize) == input.count)
        #expect(back == input)

        var snappyLength = snappy_max_compressed_length(input.count)
        var snappy = [CChar](repeating: 0, count: snappyLength)
        let source = input.map { CChar(bitPattern: $0) }
        #expect(snappy_compress(source, source.count, &snappy, &snappyLength) == SNAPPY_OK)
        var restoredLength = input.count
        var restored = [CChar](repeating: 0, count: restoredLength)
        #expect(snappy_uncompress(snappy, snappyLength, &restored, &restoredLength) == SNAPPY_OK)
        #expect(restored == source)

        let compressor = libdeflate_alloc_compressor(6)
        defer { libdeflate_free_compressor(compressor) }
        var deflated = [UInt8](repeating: 0, count: libdeflate_zlib_compress_bound(compressor, input.count))
        let dsize = libdeflate_zlib_compress(compressor, input, input.count, &deflated, deflated.count)
        #expect(dsize > 0)
        let decompressor = libdeflate_alloc_decompressor()
        defer { libdeflate_free_decompressor(decompressor) }
        var inflated = [UInt8](repeating: 0, count: input.count)
        var actual = 0
        #expect(libdeflate_zlib_decompress(decompressor, deflated, dsize, &inflated, inflated.count, &actual) == LIBDEFLATE_SUCCESS)
        #expect(inflated == input)
    }
}
