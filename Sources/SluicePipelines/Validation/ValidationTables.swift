import SluiceKernels

/// The validation's result as tables, named as `docs/analysis.md` lists them: `sample`,
/// `celltype`, `singlecell`, `groups`, `concordance`, `expected`, `biological`, `coverage`,
/// `stability` (each only when its check ran) and `quality`.
extension ActivityValidation {
    /// `--format h5ad`: the groups' single-cell activity, groups × signatures (X the mean; layers
    /// median and pseudobulk).
    public static let matrix = MatrixView(table: "groups", rows: ["group"], column: "signature", values: ["mean", "median", "pseudobulk"])
}

extension ActivityValidation.Result {
    public var tables: [ResultTable] {
        var tables: [ResultTable] = []
        for (name, rows) in [("sample", sample), ("celltype", cellType)] {
            guard let rows else { continue }
            tables.append(
                ResultTable(
                    name: name, rows: rows,
                    columns: [
                        ("signature", .string(\.signature)), ("genes", .string { $0.genes.joined(separator: ",") }), ("n", .integer(\.n)),
                        ("slope", .double(\.slope)), ("intercept", .double(\.intercept)), ("r2", .double(\.r2)),
                        ("pearson_r", .double(\.pearson.r)), ("pearson_p", .double(\.pearson.pvalue)),
                        ("spearman_rho", .double(\.spearman.r)), ("spearman_p", .double(\.spearman.pvalue)),
                    ]))
        }
        if let singleCell {
            tables.append(
                ResultTable(
                    name: "singlecell", rows: singleCell.expressing,
                    columns: [
                        ("signature", .string(\.signature)), ("genes", .string { $0.genes.joined(separator: ",") }),
                        ("expressing", .integer(\.expressing)), ("not_expressing", .integer(\.notExpressing)),
                        ("mean_expressing", .double(\.meanExpressing)), ("mean_not_expressing", .double(\.meanNotExpressing)),
                        ("difference", .double(\.difference)), ("u", .double(\.test.u)), ("auc", .double(\.test.auc)),
                        ("pvalue", .double(\.test.pvalue)),
                    ]))
            if !singleCell.groups.isEmpty {
                tables.append(
                    ResultTable(
                        name: "groups", rows: singleCell.groups,
                        columns: [
                            ("signature", .string(\.signature)), ("group", .string(\.group)), ("cells", .integer(\.cells)),
                            ("mean", .double(\.mean)), ("median", .double(\.median)), ("pseudobulk", .double(\.pseudobulk)),
                        ]))
            }
            if !singleCell.concordance.isEmpty {
                tables.append(
                    ResultTable(
                        name: "concordance", rows: singleCell.concordance,
                        columns: [
                            ("signature", .string(\.signature)), ("groups", .integer(\.groups)),
                            ("mean_pearson_r", .double(\.meanPearson.r)), ("mean_pearson_p", .double(\.meanPearson.pvalue)),
                            ("mean_spearman_rho", .double(\.meanSpearman.r)), ("mean_spearman_p", .double(\.meanSpearman.pvalue)),
                            ("median_pearson_r", .double(\.medianPearson.r)), ("median_pearson_p", .double(\.medianPearson.pvalue)),
                            ("median_spearman_rho", .double(\.medianSpearman.r)), ("median_spearman_p", .double(\.medianSpearman.pvalue)),
                        ]))
            }
        }
        if let expected {
            tables.append(
                ResultTable(
                    name: "expected", rows: expected.pairs,
                    columns: [
                        ("signature", .string(\.expectation.signature)), ("cell_type", .string(\.expectation.cellType)),
                        ("direction", .string(\.expectation.direction.rawValue)), ("activity", .double(\.activity)),
                        ("agrees", .string { $0.agrees.map { $0 ? "yes" : "no" } ?? "not found" }),
                    ]))
            tables.append(
                ResultTable(
                    name: "biological", rows: expected.rates,
                    columns: [
                        ("signature", .string(\.signature)), ("expected", .integer(\.expected)), ("evaluated", .integer(\.evaluated)),
                        ("concordant", .integer(\.concordant)), ("rate", .double(\.rate)),
                    ]))
        }
        if let coverage {
            tables.append(
                ResultTable(
                    name: "coverage", rows: coverage,
                    columns: [
                        ("signature", .string(\.signature)), ("genes", .integer(\.genes)), ("present", .integer(\.present)),
                        ("detected", .integer(\.detected)), ("present_share", .double(\.presentShare)), ("detected_share", .double(\.detectedShare)),
                    ]))
        }
        if let stability {
            tables.append(
                ResultTable(
                    name: "stability", rows: stability,
                    columns: [("signature", .string(\.signature)), ("folds", .integer(\.folds)), ("mean_r", .double(\.meanR)), ("min_r", .double(\.minimumR))]))
        }
        let run = ValidationScore.Check.allCases.filter { check in scores.contains { $0.checks[check] != nil } }
        tables.append(
            ResultTable(
                name: "quality", rows: scores,
                columns: [("signature", .string(\.signature))] + run.map { check in (check.rawValue, .double { $0.checks[check] ?? .nan }) }
                    + [("checks", .integer { score in score.checks.values.filter { !$0.isNaN }.count }), ("score", .double(\.score))]))
        return tables
    }
}
