import Foundation

/// A comma-separated option value (`--stratify cell_type, disease`) as its items: each trimmed
/// of surrounding spaces, empty ones dropped; nothing given, no items.
enum CommaList {
    static func items(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
