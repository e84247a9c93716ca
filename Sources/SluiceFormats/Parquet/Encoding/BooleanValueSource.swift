/// The `PageValueSource` of boolean columns: PLAIN is one bit per value, so no dictionary.
struct BooleanValueSource: PageValueSource {
    let values: [Bool]

    var count: Int { values.count }

    func plainByteCount(_ range: Range<Int>) -> Int { (range.count + 7) / 8 }

    func appendPlain(_ range: Range<Int>, to body: inout [UInt8]) {
        var byte: UInt8 = 0
        var bit = 0
        for index in range {
            if values[index] { byte |= 1 << bit }
            bit += 1
            if bit == 8 {
                body.append(byte)
                byte = 0
                bit = 0
            }
        }
        if bit > 0 { body.append(byte) }
    }

    func bounds() -> (min: [UInt8], max: [UInt8])? {
        guard !values.isEmpty else { return nil }
        let hasTrue = values.contains(true)
        let hasFalse = values.contains(false)
        return ([hasFalse ? 0 : 1], [hasTrue ? 1 : 0])
    }

    func dictionaryEncode(byteLimit: Int) -> DictionaryEncoding? { nil }
}
