import SluiceTestSupport
import Testing

@testable import SluiceFormats

/// Random schemas, lengths, null masks and list lengths (empty and null lists included) written
/// with random options must read back exactly. Each case is a seed; a failure names it.
@Suite struct ParquetPropertyTests {
    @Test("random schemas and data round-trip exactly", arguments: 0..<40)
    func randomRoundTrip(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed) &* 7919)
        let columnCount = Int.random(in: 1...6, using: &random)
        let columns = (0..<columnCount).map { index in
            ParquetColumn(
                "c\(index)", ParquetValueType.allCases.randomElement(using: &random)!,
                isList: Bool.random(using: &random), isNullable: Bool.random(using: &random))
        }
        let schema = ParquetSchema(columns)
        var options = ParquetWriterOptions(compression: [.zstd, .snappy, .uncompressed].randomElement(using: &random)!)
        options.dataPageVersion = Bool.random(using: &random) ? .v1 : .v2
        options.pageByteSize = [64, 1024, 1 << 20].randomElement(using: &random)!
        options.rowGroupByteSize = [512, 16 << 10, 128 << 20].randomElement(using: &random)!
        options.dictionaryEnabled = Bool.random(using: &random)
        let batchCount = Int.random(in: 1...4, using: &random)
        let batches = (0..<batchCount).map { _ in
            let rows = [0, 1, 7, Int.random(in: 0...600, using: &random)].randomElement(using: &random)!
            let nulls = ParquetSamples.NullPattern.allCases.randomElement(using: &random)!
            let lowCardinality = Bool.random(using: &random)
            let maxLength = [0, 1, 5, 40].randomElement(using: &random)!
            return ParquetRowBatch(
                columns.map {
                    ParquetSamples.data(for: $0, rows: rows, nulls: nulls, maxListLength: maxLength, lowCardinality: lowCardinality, random: &random)
                })
        }
        _ = try ParquetRoundTripTests.roundTrip(schema, batches, options: options)
    }

    @Test("RLE/bit-packed hybrid encoding round-trips runs and literals", arguments: 0..<30)
    func rleHybrid(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed) + 1)
        let bitWidth = Int.random(in: 0...20, using: &random)
        let maximum = bitWidth == 0 ? 0 : UInt32((UInt64(1) << UInt64(bitWidth)) - 1)
        var values: [UInt32] = []
        var encoder = RLEHybridEncoder(bitWidth: bitWidth)
        for _ in 0..<Int.random(in: 0...200, using: &random) {
            let value = UInt32.random(in: 0...maximum, using: &random)
            let count = [1, 1, 2, 7, 8, 9, 100].randomElement(using: &random)!
            values += Array(repeating: value, count: count)
            if Bool.random(using: &random) { encoder.appendRun(value, count: count) } else { for _ in 0..<count { encoder.append(value) } }
        }
        let bytes = encoder.finish()
        var decoded = [UInt32](repeating: 0, count: values.count)
        try bytes.withUnsafeBytes { raw in
            var decoder = try RLEHybridDecoder(raw, bitWidth: bitWidth)
            try decoded.withUnsafeMutableBufferPointer { try decoder.decode(into: $0) }
        }
        #expect(decoded == values)

        // The one-pass index encoder must decode to the same values.
        let indexBytes = values.withUnsafeBufferPointer { RLEHybridEncoder.encodeIndices($0, bitWidth: bitWidth) }
        var indices = [UInt32](repeating: 0, count: values.count)
        try indexBytes.withUnsafeBytes { raw in
            var decoder = try RLEHybridDecoder(raw, bitWidth: bitWidth)
            try indices.withUnsafeMutableBufferPointer { try decoder.decode(into: $0) }
        }
        #expect(indices == values)
    }
}
