import Foundation
import SluiceKernels

/// `sluice analyze drivers`: which cell types drive a disease signal — from a differential table
/// stratified by cell type (each disease against the reference within each cell type).
///
/// A signature's change in the tissue is the sum of its changes in the cell types, each weighted
/// by how much of the tissue the cell type is: contribution = weight × effect, the weight the
/// cell type's mean proportion in the disease's samples (`--composition`, the `samples` table of
/// `sluice analyze composition`) or 1 without it. Per disease and signature the cell types are
/// ranked by |contribution| (ties by name); share = |contribution| / Σ|contributions|, and
/// `agrees` says whether the cell type moves the way the sum does.
public struct DrivingCellTypes {
    public struct Row: Sendable, Equatable {
        public var strata: [String]
        public var group, signature, cellType: String
        public var effect, qvalue, weight, contribution, share: Double
        public var rank: Int
        public var agrees: Bool
    }

    public struct Result: Sendable {
        public var rows: [Row]
        /// The strata other than the cell type.
        public var strata: [String]
        public var notes: [String]
    }

    /// The stratifying column that names the cell type.
    public var cellTypeColumn = "cell_type"
    /// Mean proportion of each cell type per disease (condition); nil: every weight 1.
    public var weights: [String: [String: Double]]?

    public init() {}

    /// Mean proportions per condition and cell type from a composition `samples` table
    /// (columns condition, cell_type, proportion).
    public static func weights(fromComposition path: String) throws -> [String: [String: Double]] {
        let table = try HeaderTable(path, what: "the composition table", code: "drivers.composition")
        let (condition, cellType, proportion) = try { (c: [Int]) in (c[0], c[1], c[2]) }(table.columns(["condition", "cell_type", "proportion"]))
        var sums: [String: [String: (Double, Int)]] = [:]
        for fields in table.rows where fields.count > max(condition, cellType, proportion) {
            guard let value = Double(fields[proportion]) else { continue }
            let old = sums[fields[condition], default: [:]][fields[cellType]] ?? (0, 0)
            sums[fields[condition], default: [:]][fields[cellType]] = (old.0 + value, old.1 + 1)
        }
        return sums.mapValues { $0.mapValues { $0.0 / Double($0.1) } }
    }

    public func run(_ table: DifferentialRows) throws -> Result {
        guard let column = table.strata.firstIndex(of: cellTypeColumn) else {
            throw AnalysisError(
                code: "drivers.cell-type",
                "the differential table is not stratified by '\(cellTypeColumn)' (its strata: \(table.strata.isEmpty ? "none" : table.strata.joined(separator: ", "))); run differential with --stratify \(cellTypeColumn)"
            )
        }
        let others = { (strata: [String]) in strata.enumerated().filter { $0.offset != column }.map(\.element) }
        var result: [Row] = []
        var unweighted = Set<String>()
        // One pass groups the rows with an effect by stratum, disease and signature; each keeps its
        // place of first appearance (strata, then diseases within one, then signatures within those).
        struct Key: Hashable {
            var stratum: [String]
            var group, signature: String
        }
        var first: (strata: [[String]: Int], groups: [[String]: [String: Int]], keys: [Key: Int]) = ([:], [:], [:])
        var blocks: [Key: [DifferentialRows.Row]] = [:]
        for (index, row) in table.rows.enumerated() {
            let stratum = others(row.strata)
            let key = Key(stratum: stratum, group: row.group, signature: row.feature)
            if first.strata[stratum] == nil { first.strata[stratum] = index }
            guard !row.effect.isNaN else { continue }
            if first.groups[stratum, default: [:]][row.group] == nil { first.groups[stratum, default: [:]][row.group] = index }
            if first.keys[key] == nil { first.keys[key] = index }
            blocks[key, default: []].append(row)
        }
        let keys = first.keys.keys.sorted { a, b in
            let order = { (key: Key) in (first.strata[key.stratum]!, first.groups[key.stratum]![key.group]!, first.keys[key]!) }
            return order(a) < order(b)
        }
        for key in keys {
            var block: [Row] = blocks[key]!.compactMap { row in
                let cellType = row.strata[column]
                let weight = weights.map { $0[key.group]?[cellType] } ?? 1
                guard let weight else {
                    unweighted.insert("\(key.group)/\(cellType)")
                    return nil
                }
                return Row(
                    strata: key.stratum, group: key.group, signature: key.signature, cellType: cellType, effect: row.effect, qvalue: row.qvalue,
                    weight: weight, contribution: weight * row.effect, share: .nan, rank: 0, agrees: false)
            }
            let total = block.reduce(0) { $0 + $1.contribution }
            let magnitude = block.reduce(0) { $0 + abs($1.contribution) }
            block.sort { abs($0.contribution) > abs($1.contribution) || (abs($0.contribution) == abs($1.contribution) && SignatureActivity.precedes($0.cellType, $1.cellType)) }
            for index in block.indices {
                block[index].rank = index + 1
                block[index].share = magnitude > 0 ? abs(block[index].contribution) / magnitude : .nan
                block[index].agrees = total != 0 && (block[index].contribution > 0) == (total > 0) && block[index].contribution != 0
            }
            result += block
        }
        let notes =
            unweighted.isEmpty ? [] : ["\(unweighted.count) disease and cell-type pairs have no proportion in the composition table and are left out: \(AnalysisError.sample(unweighted.sorted()))"]
        return Result(rows: result, strata: others(table.strata), notes: notes)
    }
}

extension DrivingCellTypes.Result {
    /// `drivers`: [strata…,] group, signature, rank, cell_type, effect, qvalue, weight,
    /// contribution, share, agrees (yes/no); per group and signature by rank.
    public var table: ResultTable {
        ResultTable(
            name: "drivers", rows: rows, labelColumns: strata, labels: \.strata,
            columns: [
                ("group", .string(\.group)), ("signature", .string(\.signature)), ("rank", .integer(\.rank)), ("cell_type", .string(\.cellType)),
                ("effect", .double(\.effect)), ("qvalue", .double(\.qvalue)), ("weight", .double(\.weight)),
                ("contribution", .double(\.contribution)), ("share", .double(\.share)), ("agrees", .string { $0.agrees ? "yes" : "no" }),
            ])
    }
}
