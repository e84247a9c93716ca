import Foundation

/// The rows of a table `sluice analyze differential` wrote — sample level (`feature`,
/// `activity_diff` or `log2fc`, `pvalue`, `qvalue`) or cell level (`names`, `activity_diff` or
/// `logfoldchanges`, `pvals`, `qvalue` or `pvals_adj`) — as the studies built on it read them:
/// the columns before `group` are the strata.
public struct DifferentialRows: Sendable {
    public struct Row: Sendable, Equatable {
        public var strata: [String]
        public var group, feature: String
        public var effect, pvalue, qvalue: Double
    }

    /// The stratifying columns' names.
    public var strata: [String]
    public var rows: [Row]

    public init(strata: [String], rows: [Row]) {
        self.strata = strata
        self.rows = rows
    }

    public static func read(_ path: String, code: String) throws -> DifferentialRows {
        let table = try HeaderTable(path, what: "the differential table", code: code)
        guard let group = table.header.firstIndex(of: "group") else {
            throw AnalysisError(code: code, "\(path) has no 'group' column; give a table of `sluice analyze differential`")
        }
        func column(_ names: [String]) throws -> Int {
            guard let index = names.lazy.compactMap({ table.header.firstIndex(of: $0) }).first else {
                throw AnalysisError(code: code, "\(path) has none of the columns \(names.joined(separator: ", ")); give a table of `sluice analyze differential`")
            }
            return index
        }
        let feature = try column(["feature", "names"])
        let effect = try column(["activity_diff", "log2fc", "logfoldchanges"])
        let p = try column(["pvalue", "pvals"])
        let q = try column(["qvalue", "pvals_adj"])
        let width = max(group, feature, effect, p, q) + 1
        let number = { (text: String) in text.isEmpty ? Double.nan : Double(text) ?? .nan }
        var rows: [Row] = []
        for (line, fields) in table.rows.enumerated() where !(fields.count == 1 && fields[0].isEmpty) {
            guard fields.count >= width else {
                throw AnalysisError(code: code, "\(path) line \(line + 2) has \(fields.count) fields where \(table.header.count) are expected")
            }
            rows.append(
                Row(
                    strata: Array(fields[..<group]), group: fields[group], feature: fields[feature], effect: number(fields[effect]),
                    pvalue: number(fields[p]), qvalue: number(fields[q])))
        }
        return DifferentialRows(strata: Array(table.header[..<group]), rows: rows)
    }
}
