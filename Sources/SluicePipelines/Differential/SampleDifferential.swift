import Foundation
import SluiceKernels

/// `sluice analyze differential` on a sample-level table — pseudobulk expression or activity per
/// sample (features × samples) — with what is known about each sample (``SampleMetadata``):
/// each group against the reference (or the rest of its stratum), feature by feature, as scipy
/// tests two small sets of samples.
///
/// Unpaired, `--method wilcoxon` is `scipy.stats.mannwhitneyu(group, other)` with its defaults
/// (exact when the smaller side has at most 8 samples and no values tie, else the normal
/// approximation with tie and continuity corrections) and `t-test` is Welch's
/// `ttest_ind(group, other, equal_var=False)`. Paired (`--pair-by patient`: tumour against
/// adjacent tissue of the same patient, or a timepoint against baseline), the samples of the
/// group and of the reference are matched by the pair column within each stratum, and
/// `wilcoxon` is `scipy.stats.wilcoxon(group, reference)` (``SignedRank``), `t-test`
/// `ttest_rel(group, reference)`; samples without a partner are left out and noted. q-values are
/// Benjamini–Hochberg over the features of each comparison.
public struct SampleDifferential {
    /// One group against its reference within one stratum.
    public struct Comparison: Sendable, Equatable {
        /// The stratum's labels, one per `--stratify` column.
        public var strata: [String]
        public var group: String
        /// The reference's label, or `rest`.
        public var reference: String
        /// Samples on each side (pairs, both, when paired).
        public var samples: Int
        public var referenceSamples: Int
    }

    /// One feature of one comparison.
    public struct Row: Sendable, Equatable {
        /// Index into ``Result/comparisons``.
        public var comparison: Int
        public var feature: String
        public var mean, referenceMean, effect: Double
        /// U of the group (Mann–Whitney), min(R⁺, R⁻) (signed rank) or t.
        public var statistic: Double
        public var pvalue, qvalue: Double
    }

    public struct Result: Sendable {
        public var comparisons: [Comparison]
        public var rows: [Row]
        public var stratifiedBy: [String]
        public var effect: DifferentialEffect
        /// Samples tested (with every label the study needs).
        public var samples: Int
        public var notes: [String]
    }

    /// Features × samples.
    public let values: LabeledMatrix
    /// Each sample's labels in ``columns`` order.
    public let metadata: [String: [String?]]
    public let options: DifferentialOptions

    public init(values: LabeledMatrix, metadata: [String: [String?]], options: DifferentialOptions) {
        self.values = values
        self.metadata = metadata
        self.options = options
    }

    /// The metadata columns the study reads, in the order ``metadata`` holds them.
    public static func columns(_ options: DifferentialOptions) -> [String] {
        [options.groupBy] + options.stratify + (options.pairBy.map { [$0] } ?? [])
    }

    public func run() throws -> Result {
        let stratifyCount = options.stratify.count
        let names = Self.columns(options)
        if let repeated = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw AnalysisError(code: "differential.same-column", "'\(repeated)' is named twice among --groupby, --stratify and --pair-by")
        }
        if let clash = options.stratify.first(where: Result.fixedColumns.contains) {
            throw AnalysisError(code: "differential.column-name", "the stratifying column '\(clash)' has the name of a column of the result table; rename it in the samples' metadata")
        }
        if let pairBy = options.pairBy {
            guard options.reference != nil else {
                throw AnalysisError(code: "differential.pair-reference", "--pair-by \(pairBy) pairs each group's samples with the reference's; name the reference with --reference")
            }
        }
        guard options.method != .tTestOverestimatedVariance else {
            throw AnalysisError(code: "differential.method", "t-test_overestim_var is scanpy's test of cells; samples are tested with wilcoxon or t-test")
        }
        // The samples with every label; which metadata they lack, for the notes.
        var (tested, notes) = SampleMetadata.labelled(values.columns, in: metadata, columns: Self.columns(options))
        if tested.isEmpty {
            throw AnalysisError(
                code: "differential.no-samples",
                "no sample of the table has a row with every label (\(Self.columns(options).joined(separator: ", "))) in the samples' metadata (samples: \(AnalysisError.sample(values.columns)))")
        }

        let groupLabels = Set(tested.map { $0.labels[0] }).sorted(by: SignatureActivity.precedes)
        for (label, what) in (options.reference.map { [($0, "reference")] } ?? []) + (options.groups ?? []).map({ ($0, "group") })
        where !groupLabels.contains(label) {
            throw AnalysisError(
                code: "differential.unknown-\(what)", "\(what) '\(label)' is not a label of '\(options.groupBy)' among the samples (labels: \(groupLabels.joined(separator: ", ")))")
        }
        var seen = Set<String>()
        let compared = (options.groups ?? groupLabels).filter { $0 != options.reference && seen.insert($0).inserted }
        // Strata: the label combinations samples carry, column by column in code-point order.
        let strata = Set(tested.map { Array($0.labels[1..<(1 + stratifyCount)]) }).sorted(by: SignatureActivity.precedes)

        var comparisons: [Comparison] = []
        var rows: [Row] = []
        for stratum in strata {
            let members = tested.filter { Array($0.labels[1..<(1 + stratifyCount)]) == stratum }
            let where_ = stratum.isEmpty ? "" : " in stratum '\(stratum.joined(separator: " / "))'"
            for group in compared {
                let inGroup = members.filter { $0.labels[0] == group }
                let other = members.filter { sample in options.reference.map { sample.labels[0] == $0 } ?? (sample.labels[0] != group) }
                var sides = (inGroup.map(\.column), other.map(\.column))
                if let pairBy = options.pairBy {
                    let pairs = try Self.pairs(inGroup, other, column: 1 + stratifyCount, pairBy: pairBy, group: group, reference: options.reference!, where: where_)
                    let dropped = inGroup.count + other.count - 2 * pairs.count
                    if dropped > 0 { notes.append("\(dropped) samples\(where_) of '\(group)' or '\(options.reference!)' have no partner of the same \(pairBy) and are left out") }
                    sides = (pairs.map(\.0), pairs.map(\.1))
                }
                guard !sides.0.isEmpty, !sides.1.isEmpty else {
                    if !inGroup.isEmpty || !other.isEmpty {
                        notes.append("skipped '\(group)'\(where_): \(options.pairBy == nil ? "a side has no sample" : "no pair of samples")")
                    }
                    continue
                }
                let index = comparisons.count
                comparisons.append(
                    Comparison(strata: stratum, group: group, reference: options.reference ?? "rest", samples: sides.0.count, referenceSamples: sides.1.count))
                rows += test(sides.0, against: sides.1, comparison: index)
            }
        }
        guard !comparisons.isEmpty else {
            throw AnalysisError(code: "differential.nothing-to-compare", "no group of '\(options.groupBy)' has samples on both sides of a comparison\(stratifyCount > 0 ? " within a stratum" : "")")
        }
        return Result(comparisons: comparisons, rows: rows, stratifiedBy: options.stratify, effect: options.effect, samples: tested.count, notes: notes)
    }

    /// The samples of `group` and of the reference that share a value of the pair column,
    /// ordered by that value; a value with two samples on one side is an error.
    private static func pairs(
        _ inGroup: [(column: Int, labels: [String])], _ other: [(column: Int, labels: [String])], column: Int, pairBy: String, group: String,
        reference: String, where place: String
    ) throws -> [(Int, Int)] {
        func byPair(_ samples: [(column: Int, labels: [String])], _ label: String) throws -> [String: Int] {
            var result: [String: Int] = [:]
            for sample in samples {
                guard result.updateValue(sample.column, forKey: sample.labels[column]) == nil else {
                    throw AnalysisError(
                        code: "differential.pair-duplicate",
                        "\(pairBy) '\(sample.labels[column])' has more than one sample of '\(label)'\(place); pairing needs one per \(pairBy) and group (stratify by the column that tells them apart)")
                }
            }
            return result
        }
        let (a, b) = (try byPair(inGroup, group), try byPair(other, reference))
        return a.keys.filter { b[$0] != nil }.sorted(by: SignatureActivity.precedes).map { (a[$0]!, b[$0]!) }
    }

    /// Every feature's test of the samples in `columns` against those in `others` (paired
    /// position by position when `--pair-by` is given).
    private func test(_ columns: [Int], against others: [Int], comparison: Int) -> [Row] {
        let width = values.columns.count
        var rows: [Row] = []
        rows.reserveCapacity(values.rows.count)
        for (feature, name) in values.rows.enumerated() {
            let a = columns.map { values.values[feature * width + $0] }
            let b = others.map { values.values[feature * width + $0] }
            let (mean, referenceMean) = (a.reduce(0, +) / Double(a.count), b.reduce(0, +) / Double(b.count))
            let (statistic, pvalue): (Double, Double)
            switch (options.method, options.pairBy != nil) {
            case (.wilcoxon, false):
                let result = MannWhitney.test(a, b, method: .auto)
                // scipy propagates NaN; MannWhitney leaves NaN values out.
                (statistic, pvalue) = a.contains(where: \.isNaN) || b.contains(where: \.isNaN) ? (.nan, .nan) : (result.u, result.pvalue)
            case (.wilcoxon, true):
                let result = SignedRank.test(a, b)
                (statistic, pvalue) = (result.statistic, result.pvalue)
            case (_, false):
                let result = TTest.welch(a, b)
                (statistic, pvalue) = (result.statistic, result.pvalue)
            case (_, true):
                let result = TTest.paired(a, b)
                (statistic, pvalue) = (result.statistic, result.pvalue)
            }
            rows.append(
                Row(
                    comparison: comparison, feature: name, mean: mean, referenceMean: referenceMean,
                    effect: options.effect.of(groupMean: mean, otherMean: referenceMean), statistic: statistic, pvalue: pvalue, qvalue: .nan))
        }
        let q = CovariateCorrelation.qValues(rows.map(\.pvalue))
        for index in rows.indices { rows[index].qvalue = q[index] }
        return rows
    }
}

extension SampleDifferential.Result {
    /// `differential`: one row per comparison and feature — the stratum's labels (one column per
    /// `--stratify` column), group, reference, feature, samples, reference_samples (pairs, when
    /// paired), mean, mean_reference, the effect (activity_diff or log2fc), statistic, pvalue,
    /// neg_log10_pval and qvalue — features in the table's order.
    public var table: ResultTable {
        let comparison = { (row: SampleDifferential.Row) in comparisons[row.comparison] }
        return ResultTable(
            name: "differential", rows: rows, labelColumns: stratifiedBy, labels: { comparison($0).strata },
            columns: [
                ("group", .string { comparison($0).group }), ("reference", .string { comparison($0).reference }), ("feature", .string(\.feature)),
                ("samples", .integer { comparison($0).samples }), ("reference_samples", .integer { comparison($0).referenceSamples }),
                ("mean", .double(\.mean)), ("mean_reference", .double(\.referenceMean)),
                (effect == .activityDifference ? "activity_diff" : "log2fc", .double(\.effect)), ("statistic", .double(\.statistic)),
                ("pvalue", .double(\.pvalue)), ("neg_log10_pval", .double { -log10($0.pvalue) }), ("qvalue", .double(\.qvalue)),
            ])
    }

    /// Names a `--stratify` column may not have (they are the table's own).
    static let fixedColumns = [
        "group", "reference", "feature", "samples", "reference_samples", "mean", "mean_reference", "activity_diff", "log2fc", "statistic", "pvalue",
        "neg_log10_pval", "qvalue",
    ]
}
