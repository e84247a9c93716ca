import Foundation
public import SluiceFormats
public import SluiceKernels

/// `sluice analyze composition`: how many cells of each type every sample has, and how the
/// proportions change between conditions — read from the cells' metadata alone, streamed.
///
/// Proportions are compositional: they sum to 1, so one cell type's expansion makes every other
/// look depleted. The test therefore works on centred log-ratios — per sample,
/// clr(c) = log(n_c + p) − mean over cell types of log(n + p), p the pseudocount (0.5) — in which
/// a cell type's value is relative to the sample's geometric mean rather than to its total. Per
/// cell type and comparison (each condition against the reference), the CLR values of the two
/// groups of samples are compared by a two-sided Mann–Whitney test (scipy's
/// `mannwhitneyu(method="asymptotic")`): samples are few and CLR values far from normal, so a
/// rank test, not a t-test; Benjamini–Hochberg q-values per comparison. This is the CLR approach
/// of compositional data analysis (Aitchison 1986; as in scCODA's and propeller's comparisons),
/// without a model of the counts.
public struct CellTypeComposition {
    public struct SampleRow: Sendable, Equatable {
        public var sample, condition, cellType: String
        public var cells: Int
        public var proportion, clr: Double
    }

    public struct TestRow: Sendable, Equatable {
        public var cellType, condition, reference: String
        public var samples, referenceSamples: Int
        /// Mean proportions, and log2 of their ratio.
        public var proportion, referenceProportion, log2Ratio: Double
        /// Mean CLR of the condition minus the reference's.
        public var clrDifference: Double
        public var test: MannWhitney.Result
        public var qvalue: Double
    }

    public struct Result: Sendable {
        public var samples: [SampleRow]
        public var tests: [TestRow]
        public var cells: Int
        /// Cells without a sample or a cell type label (or a condition, when compared): left out.
        public var unlabeled: Int
    }

    public let source: any CellSource
    public var sampleColumn = "sample"
    public var cellTypeColumn = "cell_type"
    /// The obs column whose value (constant within a sample) names its condition; nil, or a
    /// single condition in the file: no tests.
    public var conditionColumn: String?
    /// The condition the others are compared with; nil: the first in code-point order.
    public var reference: String?
    public var pseudocount = 0.5
    public var chunkSize = 100_000

    public init(source: any CellSource) { self.source = source }

    public func run() throws -> Result {
        guard pseudocount > 0 else { throw AnalysisError(code: "composition.pseudocount", "the pseudocount must be above 0") }
        let wanted = [sampleColumn, cellTypeColumn] + (conditionColumn.map { [$0] } ?? [])
        let names = source.cellMetadataSchema.map(\.name)
        for column in wanted where !names.contains(column) {
            throw AnalysisError(code: "composition.unknown-column", "\(source.path) has no obs column '\(column)' (it has: \(AnalysisError.sample(names, limit: 12)))")
        }
        var counts: [String: [String: Int]] = [:]
        var conditions: [String: String] = [:]
        var samples: [String] = []
        var cellTypes: [String] = []
        var unlabeled = 0
        for range in source.batchRanges(size: max(1, chunkSize)) {
            let obs = try source.readCellMetadata(cells: range)
            let (sample, cellType) = (obs[sampleColumn]!, obs[cellTypeColumn]!)
            let condition = conditionColumn.map { obs[$0]! }
            for cell in 0..<sample.count {
                // A cell without a sample, a cell type or (when conditions are compared) a condition is left out.
                let label = condition.map { $0.text(at: cell) }
                guard let s = sample.text(at: cell), let t = cellType.text(at: cell), label != .some(nil) else {
                    unlabeled += 1
                    continue
                }
                if counts[s] == nil {
                    samples.append(s)
                    counts[s] = [:]
                }
                if counts[s]![t] == nil, !cellTypes.contains(t) { cellTypes.append(t) }
                counts[s]![t, default: 0] += 1
                if case .some(.some(let label)) = label {
                    if let known = conditions[s], known != label {
                        throw AnalysisError(
                            code: "composition.condition",
                            "sample '\(s)' has cells of condition '\(known)' and of '\(label)': each sample needs one \(conditionColumn!)")
                    }
                    conditions[s] = label
                }
            }
        }
        samples.sort(by: SignatureActivity.precedes)
        cellTypes.sort(by: SignatureActivity.precedes)
        var rows: [SampleRow] = []
        var clr: [String: [String: Double]] = [:]
        var proportion: [String: [String: Double]] = [:]
        for sample in samples {
            let total = Double(counts[sample]!.values.reduce(0, +))
            let logs = cellTypes.map { log(Double(counts[sample]![$0] ?? 0) + pseudocount) }
            let center = logs.reduce(0, +) / Double(logs.count)
            for (index, cellType) in cellTypes.enumerated() {
                let cells = counts[sample]![cellType] ?? 0
                clr[sample, default: [:]][cellType] = logs[index] - center
                proportion[sample, default: [:]][cellType] = Double(cells) / total
                rows.append(
                    SampleRow(
                        sample: sample, condition: conditions[sample] ?? "", cellType: cellType, cells: cells,
                        proportion: Double(cells) / total, clr: logs[index] - center))
            }
        }
        var tests: [TestRow] = []
        // One condition (a healthy atlas run through the same stage as a diseased one): nothing to compare.
        if conditionColumn != nil, Set(conditions.values).count > 1 {
            let labels = Set(conditions.values).sorted(by: SignatureActivity.precedes)
            let reference = self.reference ?? labels.first ?? ""
            guard labels.contains(reference) else {
                throw AnalysisError(code: "composition.reference", "no sample has the condition '\(reference)' (the conditions: \(labels.joined(separator: ", ")))")
            }
            let inReference = samples.filter { conditions[$0] == reference }
            for condition in labels where condition != reference {
                let inCondition = samples.filter { conditions[$0] == condition }
                var group: [TestRow] = []
                for cellType in cellTypes {
                    let mean = { (samples: [String], table: [String: [String: Double]]) in
                        samples.reduce(0.0) { $0 + table[$1]![cellType]! } / Double(samples.count)
                    }
                    let (a, b) = (mean(inCondition, proportion), mean(inReference, proportion))
                    group.append(
                        TestRow(
                            cellType: cellType, condition: condition, reference: reference, samples: inCondition.count,
                            referenceSamples: inReference.count, proportion: a, referenceProportion: b, log2Ratio: log2(a / b),
                            clrDifference: mean(inCondition, clr) - mean(inReference, clr),
                            test: MannWhitney.test(inCondition.map { clr[$0]![cellType]! }, inReference.map { clr[$0]![cellType]! }), qvalue: .nan))
                }
                let q = CovariateCorrelation.qValues(group.map(\.test.pvalue))
                for index in group.indices { group[index].qvalue = q[index] }
                tests += group
            }
        }
        return Result(samples: rows, tests: tests, cells: source.cellCount, unlabeled: unlabeled)
    }
}

extension CellTypeComposition {
    /// `--format h5ad`: samples × cell types (X the cells; layers proportion and clr).
    public static let matrix = MatrixView(table: "samples", rows: ["sample", "condition"], column: "cell_type", values: ["cells", "proportion", "clr"])
}

extension CellTypeComposition.Result {
    /// `samples` (per sample and cell type) and, with conditions, `tests`.
    public var tables: [ResultTable] {
        var tables = [
            ResultTable(
                name: "samples", rows: samples,
                columns: [
                    ("sample", .string(\.sample)), ("condition", .string(\.condition)), ("cell_type", .string(\.cellType)),
                    ("cells", .integer(\.cells)), ("proportion", .double(\.proportion)), ("clr", .double(\.clr)),
                ])
        ]
        if !tests.isEmpty {
            tables.append(
                ResultTable(
                    name: "tests", rows: tests,
                    columns: [
                        ("cell_type", .string(\.cellType)), ("condition", .string(\.condition)), ("reference", .string(\.reference)),
                        ("samples", .integer(\.samples)), ("reference_samples", .integer(\.referenceSamples)),
                        ("proportion", .double(\.proportion)), ("reference_proportion", .double(\.referenceProportion)),
                        ("log2_ratio", .double(\.log2Ratio)), ("clr_difference", .double(\.clrDifference)), ("u", .double(\.test.u)),
                        ("pvalue", .double(\.test.pvalue)), ("qvalue", .double(\.qvalue)),
                    ]))
        }
        return tables
    }
}
