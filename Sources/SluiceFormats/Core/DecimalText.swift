/// Plain decimal numbers (`-12.5`, `3.0000000000000004e-05`) read from bytes, correctly rounded
/// to the nearest Double (ties to even), as `strtod` reads them — several times faster for the
/// long numbers that tables written with full precision (`%.17g`) hold.
///
/// How: the digits (at most 19 significant ones) are gathered into a 64-bit integer `m` with a
/// decimal exponent `e`. For `|e| ≤ 19`, `m·10^e` (one 64 × 64 → 128-bit product) or `m / 10^-e`
/// (one 128 / 64-bit division of the normalized operands) is computed exactly to 64 significant
/// bits plus a sticky bit for whatever lies below them, which decides the rounding to 53 bits
/// exactly. Anything else — more digits, larger exponents, no digits — answers `nil`, and the
/// caller falls back to a general parser.
public enum DecimalText {
    /// The number in `text` (the whole buffer), or nil if it is not a plain decimal number this
    /// fast path handles.
    public static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        let end = text.count
        var negative = false
        if index < end, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        var significand: UInt64 = 0
        var digits = 0  // significant digits gathered (leading zeros not counted)
        var exponent = 0  // decimal exponent of `significand`'s last digit
        var sawDigit = false
        var afterPoint = false
        while index < end {
            if text[index] == UInt8(ascii: "."), !afterPoint {
                afterPoint = true
                index += 1
                continue
            }
            guard let digit = Self.digit(text[index]) else { break }
            sawDigit = true
            if significand != 0 || digit != 0 {
                guard digits < 19 else { return nil }
                significand = significand &* 10 &+ UInt64(digit)
                digits += 1
            }
            if afterPoint { exponent -= 1 }
            index += 1
        }
        guard sawDigit else { return nil }
        if index < end, text[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < end, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
                exponentNegative = text[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            var count = 0
            while index < end, let digit = Self.digit(text[index]) {
                guard count < 6 else { return nil }
                written = written * 10 + digit
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard index == end else { return nil }
        guard significand != 0 else { return negative ? -0.0 : 0.0 }
        guard let magnitude = Self.value(significand, exponent) else { return nil }
        return negative ? -magnitude : magnitude
    }

    private static func digit(_ byte: UInt8) -> Int? {
        let value = byte &- UInt8(ascii: "0")
        return value < 10 ? Int(value) : nil
    }

    private static let powersOfTen: [UInt64] = (0...19).map { power in (0..<power).reduce(UInt64(1)) { value, _ in value * 10 } }

    /// `significand · 10^exponent` correctly rounded, for `significand > 0`, or nil outside
    /// `|exponent| ≤ 19`.
    private static func value(_ significand: UInt64, _ exponent: Int) -> Double? {
        guard abs(exponent) <= 19 else { return nil }
        let power = powersOfTen[abs(exponent)]
        if exponent >= 0 {
            // The exact product, its 64 leading bits and a sticky bit for the rest.
            let (high, low) = significand.multipliedFullWidth(by: power)
            if high == 0 { return rounded(low, sticky: false, binaryExponent: 0) }
            let shift = high.leadingZeroBitCount
            let top = shift == 0 ? high : (high << shift) | (low >> (64 - shift))
            return rounded(top, sticky: (low << shift) != 0, binaryExponent: 64 - shift)
        }
        // m / 10^k with both normalized (leading bit set): m' / d' lies in (1/2, 2), so
        // m'·2^64 / d' (or m'·2^63 / d' when m' ≥ d') has exactly 64 bits.
        let mShift = significand.leadingZeroBitCount
        let dShift = power.leadingZeroBitCount
        let m = significand << mShift
        let d = power << dShift
        let halve = m >= d
        let dividend: (high: UInt64, low: UInt64) = halve ? (m >> 1, m << 63) : (m, 0)
        let (quotient, remainder) = d.dividingFullWidth(dividend)
        // value = (quotient + remainder/d) · 2^(dShift − mShift − (halve ? 63 : 64))
        return rounded(quotient, sticky: remainder != 0, binaryExponent: dShift - mShift - (halve ? 63 : 64))
    }

    /// `bits · 2^binaryExponent` (plus a little more when `sticky`) rounded to 53 bits, ties to even.
    private static func rounded(_ bits: UInt64, sticky: Bool, binaryExponent: Int) -> Double {
        let shift = 11 - bits.leadingZeroBitCount
        guard shift > 0 else {
            // Fewer than 54 bits: exact.
            return Double(sign: .plus, exponent: binaryExponent, significand: Double(bits))
        }
        var mantissa = bits >> UInt64(shift)
        let rest = bits & ((1 << UInt64(shift)) - 1)
        let half: UInt64 = 1 << UInt64(shift - 1)
        if rest > half || (rest == half && (sticky || mantissa & 1 == 1)) { mantissa += 1 }
        return Double(sign: .plus, exponent: binaryExponent + shift, significand: Double(mantissa))
    }
}
