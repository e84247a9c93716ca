import Foundation
import SluiceFormats
import Testing

/// `DecimalText` must read every number exactly as `strtod` does (correct rounding, ties to
/// even), or decline it.
@Suite struct DecimalTextTests {
    private func parse(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBufferPointer { DecimalText.parse($0) }
    }

    private func expectLikeStrtod(_ text: String, mustParse: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = strtod(text, nil)
        guard let value = parse(text) else {
            #expect(!mustParse, "\(text) was declined", sourceLocation: sourceLocation)
            return
        }
        #expect(value.bitPattern == expected.bitPattern, "\(text): \(value) but strtod reads \(expected)", sourceLocation: sourceLocation)
    }

    @Test func readsPlainNumbers() {
        #expect(parse("0") == 0)
        #expect(parse("-0")?.sign == .minus)
        #expect(parse("12.5") == 12.5)
        #expect(parse("+3") == 3)
        #expect(parse("-1e3") == -1000)
        #expect(parse(".5") == 0.5)
        #expect(parse("5.") == 5)
        #expect(parse("2.5E-3") == 0.0025)
        #expect(parse("0.1") == 0.1)
        #expect(parse("3.0000000000000004e-03") == 3.0000000000000004e-03)
        #expect(parse("18446744073709551615") == nil || parse("18446744073709551615") == 18446744073709551615.0)
    }

    @Test func declinesWhatItDoesNotHandle() {
        for text in [
            "", "-", ".", "e5", "1e", "1e+", "abc", "1.2.3", "1,5", " 1", "1 ", "nan", "inf", "0x10",
            "12345678901234567890", "1e400", "1e-30", "1.5e40",
        ] {
            #expect(parse(text) == nil, "\(text)")
        }
    }

    @Test func halfwayCasesRoundToEven() {
        // 2^53 + 1 lies halfway between two Doubles: ties go to the even one (2^53).
        for text in [
            "9007199254740993", "9007199254740995", "9007199254740993.01", "9007199254740992.99",
            "4503599627370496.5", "4503599627370497.5", "1.000000000000000111", "1.000000000000000110",
            "0.1000000000000000055", "123456789012345678e-1", "5e-1", "7.450580596923828125e1",
            "18014398509481985", "18014398509481987", "1.7976931348623157e-3", "2.2250738585072014e-1",
        ] {
            expectLikeStrtod(text, mustParse: true)
        }
    }

    @Test func agreesWithStrtodOnRandomNumbers() {
        var generator = SplitMix(seed: 42)
        var checked = 0
        for round in 0..<300_000 {
            let text: String
            switch round % 4 {
            case 0:
                // Full-precision text of a random Double from 1e-3 to 1e5, as expression tables hold them.
                let value = Double(generator.next() >> 11) / 0x1p53 * pow(10, Double(Int(generator.next() % 8) - 3))
                text = String(format: "%.17g", generator.next() & 1 == 0 ? value : -value)
            case 1:
                let value = Double(generator.next() % 1_000_000_000) / Double(1 << (generator.next() % 40))
                text = String(format: "%.\(generator.next() % 20)g", value)
            case 2:
                // Random digit strings with a point and an exponent.
                let digits = (0..<(1 + Int(generator.next() % 19))).map { _ in String(generator.next() % 10) }.joined()
                let point = Int(generator.next() % UInt64(digits.count + 1))
                let exponent = Int(generator.next() % 41) - 20
                text = String(digits.prefix(point)) + "." + String(digits.dropFirst(point)) + "e\(exponent)"
            default:
                // Odd integers in (2^53, 2^54): exactly halfway between two Doubles, alone or nudged.
                let odd = (UInt64(1) << 53) + 2 * (generator.next() % (1 << 52)) + 1
                text = "\(odd)" + ["", ".0", ".0000001", "9e-1", "1e-1"][Int(generator.next() % 5)]
            }
            expectLikeStrtod(text)
            if parse(text) != nil { checked += 1 }
        }
        // Most of them take the fast path (the rest are declined, never misread).
        print("DecimalText: \(checked) of 300000 on the fast path")
        #expect(checked > 240_000, "only \(checked) parsed")
    }
}

/// A small deterministic generator for the test's inputs.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
