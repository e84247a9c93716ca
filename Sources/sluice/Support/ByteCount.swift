import Foundation

/// Formats byte counts and rates for people: `1.3 GB`, `812 MB/s`.
enum ByteCount {
    static func format(_ bytes: Double) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = bytes
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : String(format: value < 10 ? "%.2f %@" : value < 100 ? "%.1f %@" : "%.0f %@", value, units[unit])
    }

    static func format(_ bytes: Int) -> String { format(Double(bytes)) }
}
