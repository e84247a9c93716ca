import Foundation

/// Sizes written by people: `550GB`, `1.5 GiB`, `200MB`, `4096`. Decimal units (kB, MB, GB, TB)
/// are powers of 1000, binary ones (KiB, MiB, GiB, TiB) powers of 1024; a bare number is bytes.
public enum ByteSize {
    private static let units: [String: Double] = [
        "": 1, "b": 1,
        "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
        "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
    ]

    /// The number of bytes `text` means, or nil when it is not a size.
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let numberEnd = trimmed.firstIndex { !($0.isNumber || $0 == ".") } ?? trimmed.endIndex
        guard let number = Double(trimmed[..<numberEnd]), number >= 0 else { return nil }
        let unit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces).lowercased()
        guard let scale = units[unit] else { return nil }
        let bytes = number * scale
        guard bytes < 9e18 else { return nil }
        return Int64(bytes.rounded())
    }

    /// `bytes` in the largest decimal unit that keeps the number ≥ 1, e.g. `1.50 GB`.
    public static func format(_ bytes: Int64) -> String {
        let value = Double(bytes)
        for (unit, scale) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] where abs(value) >= scale {
            return String(format: "%.2f %@", value / scale, unit)
        }
        return "\(bytes) B"
    }
}
