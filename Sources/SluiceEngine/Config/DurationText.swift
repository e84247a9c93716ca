import Foundation

/// Durations written by people: `2h`, `30m`, `10s`, `250ms`, `1h30m`; a bare number is seconds.
public enum DurationText {
    /// The number of seconds `text` means, or nil when it is not a duration.
    public static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let seconds = Double(trimmed) { return seconds >= 0 ? seconds : nil }
        var total = 0.0
        var rest = Substring(trimmed)
        while !rest.isEmpty {
            let numberEnd = rest.firstIndex { !($0.isNumber || $0 == ".") } ?? rest.endIndex
            guard let number = Double(rest[..<numberEnd]) else { return nil }
            rest = rest[numberEnd...]
            let unitEnd = rest.firstIndex { $0.isNumber } ?? rest.endIndex
            let scale: Double
            switch rest[..<unitEnd] {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m", "min": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: return nil
            }
            total += number * scale
            rest = rest[unitEnd...]
        }
        return total
    }

    /// `seconds` for people: `45 s`, `12.5 min`, `2.0 h`.
    public static func format(_ seconds: Double) -> String {
        if seconds < 90 { return String(format: "%.0f s", seconds) }
        if seconds < 5400 { return String(format: "%.1f min", seconds / 60) }
        return String(format: "%.1f h", seconds / 3600)
    }
}
