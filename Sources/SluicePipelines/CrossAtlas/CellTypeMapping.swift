import Foundation

/// Cell types named differently in different atlases, mapped to one common name. Atlases are
/// taken in order; the first one's cell types are the first common names (`first`). Each cell
/// type of a later atlas takes, in this order of precedence:
///
/// 1. `user` — its row in the mapping table (`atlas`, `cell_type`, `common`; atlas `*` for any);
/// 2. `exact` — a common name spelled the same;
/// 3. `normalized` — a common name equal once both are normalised: lower case, every run of
///    characters other than letters and digits one space, and a word's plural `s` dropped
///    (`CD4+ T-cells` → `cd4 t cell`);
/// 4. `fuzzy` — the common name whose normalised form is the most similar, if the similarity
///    1 − Levenshtein distance / longer length is at least `threshold` (default 0.8; ties: the
///    earlier common name);
/// 5. `unmatched` — else it becomes a common name of its own (`NAME (ATLAS)` if the user gave
///    its name to another of the atlas's cell types).
///
/// The user's rows and the exact names of an atlas are settled before the looser matches, and
/// within one atlas two cell types never share a common name unless the user maps them so.
public struct CellTypeMapping: Sendable {
    public enum Method: String, Sendable { case first, user, exact, normalized, fuzzy, unmatched }

    public struct Entry: Sendable, Equatable {
        public var atlas: String
        public var cellType: String
        public var common: String
        public var method: Method
        /// The similarity of the normalised names (1 for exact and normalised matches and for
        /// cell types that started a common name; NaN for user mappings).
        public var similarity: Double
    }

    public var entries: [Entry] = []

    /// The common name of `cellType` in `atlas`.
    public func common(atlas: String, cellType: String) -> String? {
        entries.first { $0.atlas == atlas && $0.cellType == cellType }?.common
    }

    /// - Parameters:
    ///   - atlases: each atlas's name and cell types, in order.
    ///   - user: (atlas or `*`, cell type, common name) rows that win over matching.
    public init(atlases: [(name: String, cellTypes: [String])], user: [(atlas: String, cellType: String, common: String)] = [], threshold: Double = 0.8) {
        var commons: [String] = []
        for (atlas, cellTypes) in atlases {
            // First the user's rows and the exact names, so that a looser match never takes a
            // name another cell type of the atlas has exactly; then the rest, in order.
            var taken = Set<String>()
            var decided = [Entry?](repeating: nil, count: cellTypes.count)
            for (index, cellType) in cellTypes.enumerated() {
                if let mapped = user.first(where: { ($0.atlas == atlas || $0.atlas == "*") && $0.cellType == cellType }) {
                    if !commons.contains(mapped.common) { commons.append(mapped.common) }
                    taken.insert(mapped.common)
                    decided[index] = Entry(atlas: atlas, cellType: cellType, common: mapped.common, method: .user, similarity: .nan)
                }
            }
            for (index, cellType) in cellTypes.enumerated() where decided[index] == nil && commons.contains(cellType) && !taken.contains(cellType) {
                taken.insert(cellType)
                decided[index] = Entry(atlas: atlas, cellType: cellType, common: cellType, method: .exact, similarity: 1)
            }
            for (index, cellType) in cellTypes.enumerated() where decided[index] == nil {
                let free = commons.filter { !taken.contains($0) }
                let key = Self.normalized(cellType)
                var entry = Entry(atlas: atlas, cellType: cellType, common: cellType, method: .unmatched, similarity: 1)
                if let match = free.first(where: { Self.normalized($0) == key }) {
                    (entry.common, entry.method) = (match, .normalized)
                } else if let (match, similarity) = free.map({ ($0, Self.similarity(Self.normalized($0), key)) }).max(by: { $0.1 < $1.1 }),
                    similarity >= threshold
                {
                    (entry.common, entry.method, entry.similarity) = (match, .fuzzy, similarity)
                } else {
                    // Its own name, unless the user gave that name to another of the atlas's cell types.
                    if taken.contains(cellType) { entry.common = "\(cellType) (\(atlas))" }
                    if !commons.contains(entry.common) { commons.append(entry.common) }
                    if atlas == atlases.first?.name { entry.method = .first }
                }
                taken.insert(entry.common)
                decided[index] = entry
            }
            entries += decided.compactMap { $0 }
        }
    }

    /// Reads a mapping table: a header naming `atlas`, `cell_type` and `common`.
    public static func readUser(_ path: String) throws -> [(atlas: String, cellType: String, common: String)] {
        let table = try HeaderTable(path, what: "the cell-type mapping", code: "cross-atlas.mapping")
        let columns = try table.columns(["atlas", "cell_type", "common"])
        let (atlas, cellType, common) = (columns[0], columns[1], columns[2])
        return table.rows.filter { $0.count > columns.max()! }.map { ($0[atlas], $0[cellType], $0[common]) }
    }

    /// Lower case, runs of other characters than letters and digits one space, plural `s` of a
    /// word longer than three letters dropped (not `ss`).
    public static func normalized(_ name: String) -> String {
        let words = name.lowercased().split { !($0.isLetter || $0.isNumber) }
        return words.map { word in
            word.count > 3 && word.hasSuffix("s") && !word.hasSuffix("ss") ? String(word.dropLast()) : String(word)
        }.joined(separator: " ")
    }

    /// 1 − Levenshtein distance / the longer length (1 for two empty names).
    public static func similarity(_ a: String, _ b: String) -> Double {
        let (x, y) = (Array(a.unicodeScalars), Array(b.unicodeScalars))
        let longer = Double(max(x.count, y.count))
        guard !x.isEmpty, !y.isEmpty else { return longer == 0 ? 1 : 0 }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + [Int](repeating: 0, count: y.count)
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return 1 - Double(previous[y.count]) / longer
    }
}
