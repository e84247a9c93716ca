/// Numeric age in years from a cellxgene `development_stage` label (HsapDv / MmusDv terms).
///
/// Table-driven; a label matches one family exactly (case-sensitive) or has no age:
///
/// | label | age (years) |
/// |---|---|
/// | `N-year-old human stage` | N |
/// | `N year-old and over human stage` | N (the lower bound) |
/// | `<ordinal> decade human stage` | 10(n−1) + 5, the decade's midpoint (third → 25) |
/// | `N-month-old human stage`, `N-month-old stage` (mouse) | N / 12 |
/// | `newborn human stage` | 0 |
/// | `<W>th week post-fertilization human stage` | W / 52.1775 − 0.75 (negative: before birth) |
/// | `N-week-old stage` (mouse) | N / 52.1775 |
/// | anything else (unknown, infant, adult, Carnegie/Theiler stages, …) | `nil` |
///
/// The reference table is `Tests/Fixtures/preprocess/development_stage_ages.json`.
public enum DevelopmentStage {
    /// Weeks per year (365.2425 / 7).
    public static let weeksPerYear = 52.1775

    private static let ordinals = [
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
        "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    ]

    /// The age in years for `label`, or `nil` when the label carries none.
    public static func ageInYears(_ label: String) -> Double? {
        if label == "newborn human stage" { return 0 }
        if let n = number(label, before: "-year-old human stage") { return Double(n) }
        if let n = number(label, before: " year-old and over human stage") { return Double(n) }
        if let n = number(label, before: "-month-old human stage") { return Double(n) / 12.0 }
        if let n = number(label, before: "-month-old stage") { return Double(n) / 12.0 }
        if let n = number(label, before: "-week-old stage") { return Double(n) / weeksPerYear }
        if label.hasSuffix(" decade human stage"), let n = ordinals[String(label.dropLast(" decade human stage".count))] {
            return Double(10 * (n - 1) + 5)
        }
        for suffix in ["st", "nd", "rd", "th"] {
            if let w = number(label, before: "\(suffix) week post-fertilization human stage") {
                return Double(w) / weeksPerYear - 0.75
            }
        }
        return nil
    }

    /// The decimal number that is all of `label` before `suffix`, if any.
    private static func number(_ label: String, before suffix: String) -> Int? {
        guard label.hasSuffix(suffix) else { return nil }
        let digits = label.dropLast(suffix.count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }
}
