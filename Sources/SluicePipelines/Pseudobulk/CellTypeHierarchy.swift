import Foundation

/// A cell-type hierarchy: a tab-separated table whose header names the levels, coarsest first
/// (`L1  L2  L3`), and whose rows each map a fine label to its coarser ones
/// (`lymphoid  CD4 T  CD4 naive T`).
///
/// ``mapping(to:)`` relabels cells at one level: a cell's label may be any label at that level or
/// finer (an `L3` or `L2` label can be aggregated at `L2`), and each must lead to one label at
/// the level asked for. Empty fields are allowed (a row that stops at `L2`); lines starting with
/// `#` are comments.
public struct CellTypeHierarchy: Sendable {
    /// Where the table was read from (for messages).
    public let path: String
    /// The level names, coarsest first.
    public let levels: [String]
    /// The rows, one label per level ("" where a row has none).
    public let rows: [[String]]

    /// Relabels cells at one level.
    public struct Mapping: Sendable {
        /// The level's name.
        public let level: String
        /// Every known label (at this level or finer) → its label at this level.
        public let labels: [String: String]
        /// The level's labels in the order they first appear in the table (the groups' order).
        public let order: [String]
    }

    /// A hierarchy from its levels and rows (each row one label per level, "" for none).
    public init(levels: [String], rows: [[String]], path: String = "hierarchy") throws {
        guard !levels.isEmpty, Set(levels).count == levels.count, !levels.contains("") else {
            throw AnalysisError(
                code: "hierarchy.header", "\(path): the header must name each level once (e.g. L1, L2, L3), tab-separated")
        }
        for (index, row) in rows.enumerated() where row.count != levels.count {
            throw AnalysisError(
                code: "hierarchy.shape",
                "\(path): row \(index + 1) has \(row.count) fields but the header names \(levels.count) levels")
        }
        self.path = path
        self.levels = levels
        self.rows = rows
    }

    /// Reads a hierarchy TSV (header line, then one row per fine label).
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AnalysisError(code: "hierarchy.missing", "the hierarchy file \(path) does not exist or cannot be read")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }
        guard let header = lines.first else {
            throw AnalysisError(
                code: "hierarchy.empty", "the hierarchy file \(path) is empty: it needs a header (L1, L2, …) and rows")
        }
        let levels = Self.fields(header)
        var rows: [[String]] = []
        for line in lines.dropFirst() {
            var fields = Self.fields(line)
            // Trailing empty fields are often trimmed by editors: a short row stops at a coarser level.
            if fields.count < levels.count { fields += Array(repeating: "", count: levels.count - fields.count) }
            rows.append(fields)
        }
        try self.init(levels: levels, rows: rows, path: path)
    }

    /// The relabelling to `level`.
    public func mapping(to level: String) throws -> Mapping {
        guard let target = levels.firstIndex(of: level) else {
            throw AnalysisError(
                code: "hierarchy.level",
                "--level \(level) is not a level of \(path); its levels are \(levels.joined(separator: ", "))")
        }
        var labels: [String: String] = [:]
        var order: [String] = []
        var seen = Set<String>()
        for row in rows {
            let coarse = row[target]
            guard !coarse.isEmpty else { continue }
            if seen.insert(coarse).inserted { order.append(coarse) }
            for label in row[target...] where !label.isEmpty {
                if let earlier = labels[label], earlier != coarse {
                    throw AnalysisError(
                        code: "hierarchy.conflict",
                        "\(path) maps '\(label)' to both '\(earlier)' and '\(coarse)' at level \(level); each label needs one parent"
                    )
                }
                labels[label] = coarse
            }
        }
        return Mapping(level: level, labels: labels, order: order)
    }

    private static func fields(_ line: Substring) -> [String] {
        line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
