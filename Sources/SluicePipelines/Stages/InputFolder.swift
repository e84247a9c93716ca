import Foundation
import SluiceEngine

/// The one file a stage reads from an item's input folder.
enum InputFolder {
    /// The folder's entries (sorted) and the one chosen among them: the one matching `pattern`,
    /// or — without a pattern — the folder's only entry, or its only entry ending in one of
    /// `suffixes` (any case). `chosen` is nil unless exactly one qualifies.
    static func single(in folder: String, pattern: String?, suffixes: [String]) -> (chosen: String?, names: [String]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        let candidates: [String]
        if let pattern {
            candidates = names.filter { GlobPattern(pattern).matches($0) }
        } else {
            candidates = names.count == 1 ? names : names.filter { name in suffixes.contains { name.lowercased().hasSuffix($0) } }
        }
        return (candidates.count == 1 ? folder + "/" + candidates[0] : nil, names)
    }
}
