import Foundation
public import SluiceKernels

/// `sluice analyze trends`: how each signature's activity changes over time — per timepoint, its
/// trend over all samples, and, paired by donor, the trend within each donor.
///
/// Time is a number per sample (days, weeks) or a label placed by `--order` (its position:
/// baseline 0, then 1, 2, …). Per signature (and stratum):
/// - `timepoints`: samples, mean and standard deviation (n − 1) of the activity at each time;
/// - `trends`: over all samples, scipy's `spearmanr(time, activity)` and `linregress(time,
///   activity)` slope; with `--donor`, each donor's least-squares slope over its own samples
///   (donors with two distinct times or more), their mean and `ttest_1samp(slopes, 0)` — a trend
///   shared within donors, free of differences between donors — and, with three times or more,
///   the Friedman test (`friedmanchisquare`) over the donors seen at every time. q-values are
///   Benjamini–Hochberg over the signatures of a stratum, one set per p-value column.
public struct TemporalTrends {
    public struct Timepoint: Sendable, Equatable {
        public var strata: [String]
        public var signature, time: String
        public var samples: Int
        public var mean, sd: Double
    }

    public struct Trend: Sendable {
        public var strata: [String]
        public var signature: String
        public var samples: Int
        public var spearman: Correlation.Estimate
        public var slope: Double
        public var donors: Int
        public var donorSlope: Double
        public var donorTest: TTest.Result
        public var completeDonors: Int
        public var friedman: (statistic: Double, pvalue: Double)
        public var spearmanQ = Double.nan, donorQ = Double.nan, friedmanQ = Double.nan
    }

    public struct Result: Sendable {
        public var timepoints: [Timepoint]
        public var trends: [Trend]
        public var stratifiedBy: [String]
        public var samples: Int
        public var notes: [String]
    }

    /// Signatures × samples.
    public let values: LabeledMatrix
    /// Each sample's labels in ``columns`` order.
    public var metadata: [String: [String?]]
    public var timeColumn: String
    public var donorColumn: String?
    /// Time labels in order (their positions are the times); nil: the labels are numbers.
    public var order: [String]?
    public var stratify: [String] = []

    public init(values: LabeledMatrix, metadata: [String: [String?]], timeColumn: String) {
        self.values = values
        self.metadata = metadata
        self.timeColumn = timeColumn
    }

    /// The metadata columns the study reads, in the order ``metadata`` holds them.
    public var columns: [String] { [timeColumn] + stratify + (donorColumn.map { [$0] } ?? []) }

    public func run() throws -> Result {
        var (labelled, notes) = SampleMetadata.labelled(values.columns, in: metadata, columns: columns)
        // Each usable sample: its column, time label, time value, strata and donor.
        var samples: [(column: Int, label: String, time: Double, strata: [String], donor: String?)] = []
        var badTimes: [String] = []
        for (column, labels) in labelled {
            let label = labels[0]
            let time: Double?
            if let order { time = order.firstIndex(of: label).map(Double.init) } else { time = Double(label).flatMap { $0.isFinite ? $0 : nil } }
            guard let time else {
                if !badTimes.contains(label) { badTimes.append(label) }
                continue
            }
            samples.append((column, label, time, Array(labels[1..<(1 + stratify.count)]), donorColumn == nil ? nil : labels.last!))
        }
        if !badTimes.isEmpty {
            throw AnalysisError(
                code: "trends.time",
                order == nil
                    ? "'\(timeColumn)' holds labels that are not numbers (\(AnalysisError.sample(badTimes))); give their order with --order, e.g. --order \(badTimes.prefix(3).joined(separator: ","))"
                    : "'\(timeColumn)' holds labels that --order does not list: \(AnalysisError.sample(badTimes))")
        }
        guard !samples.isEmpty else {
            throw AnalysisError(code: "trends.no-samples", "no sample of the table has a row with \(columns.joined(separator: ", ")) in the samples' metadata")
        }

        let strata = Set(samples.map(\.strata)).sorted(by: SignatureActivity.precedes)
        let width = values.columns.count
        var timepoints: [Timepoint] = []
        var trends: [Trend] = []
        for stratum in strata {
            let members = samples.filter { $0.strata == stratum }
            // Times in order, each with its label.
            var labelOfTime: [Double: String] = [:]
            for sample in members { labelOfTime[sample.time] = sample.label }
            let times = labelOfTime.keys.sorted()
            // Donors: their samples by time; a donor twice at one time is an error.
            var donorSamples: [String: [Double: Int]] = [:]
            if let donorColumn {
                for sample in members {
                    guard donorSamples[sample.donor!, default: [:]].updateValue(sample.column, forKey: sample.time) == nil else {
                        throw AnalysisError(
                            code: "trends.donor-duplicate",
                            "\(donorColumn) '\(sample.donor!)' has more than one sample at \(timeColumn) '\(sample.label)'\(stratum.isEmpty ? "" : " in stratum '\(stratum.joined(separator: " / "))'"); a donor needs one sample per time (stratify by the column that tells them apart)"
                        )
                    }
                }
            }
            let donors = donorSamples.keys.sorted(by: SignatureActivity.precedes)
            let sloped = donors.filter { donorSamples[$0]!.count >= 2 }
            let complete = times.count >= 3 ? donors.filter { donorSamples[$0]!.count == times.count } : []
            // What every signature reads the same way: the samples at each time, all samples' times,
            // each sloped donor's samples in time order, each complete donor's sample per time.
            let columnsAt = times.map { time in members.filter { $0.time == time }.map(\.column) }
            let x = members.map(\.time)
            let ownSamples = sloped.map { donorSamples[$0]!.sorted { $0.key < $1.key } }
            let completeColumns = complete.map { donor in times.map { donorSamples[donor]![$0]! } }
            var block: [Trend] = []
            for (row, signature) in values.rows.enumerated() {
                let value = { (column: Int) in values.values[row * width + column] }
                for (time, columns) in zip(times, columnsAt) {
                    let at = columns.map(value)
                    let mean = at.reduce(0, +) / Double(at.count)
                    let sd = at.count < 2 ? Double.nan : (at.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(at.count - 1)).squareRoot()
                    timepoints.append(Timepoint(strata: stratum, signature: signature, time: labelOfTime[time]!, samples: at.count, mean: mean, sd: sd))
                }
                let y = members.map { value($0.column) }
                let slopes = ownSamples.map { own in LeastSquares.line(x: own.map(\.key), y: own.map { value($0.value) }).slope }
                let blocks = completeColumns.map { $0.map(value) }
                block.append(
                    Trend(
                        strata: stratum, signature: signature, samples: members.count, spearman: Correlation.spearman(x, y),
                        slope: LeastSquares.line(x: x, y: y).slope, donors: slopes.count,
                        donorSlope: slopes.isEmpty ? .nan : slopes.reduce(0, +) / Double(slopes.count),
                        donorTest: TTest.paired(slopes, [Double](repeating: 0, count: slopes.count)), completeDonors: complete.count,
                        friedman: Friedman.test(blocks)))
            }
            let (spearman, donor, friedman) = (
                CovariateCorrelation.qValues(block.map(\.spearman.pvalue)), CovariateCorrelation.qValues(block.map(\.donorTest.pvalue)),
                CovariateCorrelation.qValues(block.map(\.friedman.pvalue))
            )
            for index in block.indices {
                block[index].spearmanQ = spearman[index]
                block[index].donorQ = donor[index]
                block[index].friedmanQ = friedman[index]
            }
            trends += block
            if times.count < 2 { notes.append("stratum '\(stratum.joined(separator: " / "))' has one time only: no trend") }
        }
        return Result(timepoints: timepoints, trends: trends, stratifiedBy: stratify, samples: samples.count, notes: notes)
    }
}

extension TemporalTrends.Result {
    /// `timepoints` ([strata…,] signature, time, samples, mean, sd) and `trends` ([strata…,]
    /// signature, samples, spearman_rho, spearman_p, slope, donors, donor_slope, donor_t,
    /// donor_p, complete_donors, friedman_chi2, friedman_p, and the q-values spearman_q,
    /// donor_q, friedman_q).
    public var tables: [ResultTable] {
        let points = ResultTable(
            name: "timepoints", rows: timepoints, labelColumns: stratifiedBy, labels: \.strata,
            columns: [
                ("signature", .string(\.signature)), ("time", .string(\.time)), ("samples", .integer(\.samples)), ("mean", .double(\.mean)),
                ("sd", .double(\.sd)),
            ])
        let trend = ResultTable(
            name: "trends", rows: trends, labelColumns: stratifiedBy, labels: \.strata,
            columns: [
                ("signature", .string(\.signature)), ("samples", .integer(\.samples)), ("spearman_rho", .double(\.spearman.r)),
                ("spearman_p", .double(\.spearman.pvalue)), ("slope", .double(\.slope)), ("donors", .integer(\.donors)),
                ("donor_slope", .double(\.donorSlope)), ("donor_t", .double(\.donorTest.statistic)), ("donor_p", .double(\.donorTest.pvalue)),
                ("complete_donors", .integer(\.completeDonors)), ("friedman_chi2", .double(\.friedman.statistic)),
                ("friedman_p", .double(\.friedman.pvalue)), ("spearman_q", .double(\.spearmanQ)), ("donor_q", .double(\.donorQ)),
                ("friedman_q", .double(\.friedmanQ)),
            ])
        return [points, trend]
    }
}
