import Foundation
public import SluiceKernels

/// `sluice analyze programs`: the signals several diseases share — from a differential table of
/// each disease against the healthy reference (`group` the disease, `feature` the signature).
///
/// Per signature (and stratum): the diseases where it rises or falls significantly (q < α), the
/// direction most of them share, and a combined test over every disease: Stouffer's z of the
/// signed two-sided p-values, zᵢ = sign(effectᵢ)·Φ⁻¹(1 − pᵢ/2), Z = Σzᵢ/√k, p = 2Φ(−|Z|), with
/// Benjamini–Hochberg q-values over the signatures. A shared program is a signature significant
/// in the same direction in at least `minDiseases`. Beside it, how alike the diseases are:
/// Spearman's ρ between two diseases' effects over the signatures both have.
public struct SharedPrograms {
    public struct Program: Sendable, Equatable {
        public var strata: [String]
        public var signature: String
        public var diseases, up, down: Int
        /// up, down, mixed (as many up as down) or none.
        public var direction: String
        public var meanEffect, stoufferZ, stoufferP, stoufferQ: Double
        public var shared: Bool
    }

    public struct Similarity: Sendable, Equatable {
        public var strata: [String]
        public var disease, other: String
        public var correlation: Correlation.Estimate
    }

    public struct Result: Sendable {
        public var programs: [Program]
        public var similarity: [Similarity]
        public var strata: [String]
    }

    public var alpha = 0.05
    public var minDiseases = 2

    public init() {}

    public func run(_ table: DifferentialRows) throws -> Result {
        guard alpha > 0, alpha < 1 else { throw AnalysisError(code: "programs.alpha", "the significance level must be between 0 and 1") }
        var programs: [Program] = []
        var similarity: [Similarity] = []
        for stratum in Self.ordered(table.rows.map(\.strata)) {
            let rows = table.rows.filter { $0.strata == stratum }
            let diseases = Self.ordered(rows.map(\.group))
            let signatures = Self.ordered(rows.map(\.feature))
            var effect: [String: [String: DifferentialRows.Row]] = [:]
            for row in rows { effect[row.feature, default: [:]][row.group] = row }
            var block: [Program] = []
            for signature in signatures {
                let tested = diseases.compactMap { effect[signature]?[$0] }.filter { !$0.effect.isNaN && !$0.pvalue.isNaN }
                let up = tested.count { $0.qvalue < alpha && $0.effect > 0 }
                let down = tested.count { $0.qvalue < alpha && $0.effect < 0 }
                let direction = up > down ? "up" : down > up ? "down" : up > 0 ? "mixed" : "none"
                let z = tested.map { row in (row.effect > 0 ? 1.0 : row.effect < 0 ? -1.0 : 0) * NormalDistribution.upperQuantile(row.pvalue / 2) }
                let combined = tested.isEmpty ? Double.nan : z.reduce(0, +) / Double(tested.count).squareRoot()
                block.append(
                    Program(
                        strata: stratum, signature: signature, diseases: tested.count, up: up, down: down, direction: direction,
                        meanEffect: tested.isEmpty ? .nan : tested.reduce(0) { $0 + $1.effect } / Double(tested.count), stoufferZ: combined,
                        stoufferP: NormalDistribution.twoSidedPValue(combined), stoufferQ: .nan,
                        shared: max(up, down) >= minDiseases && (direction == "up" || direction == "down")))
            }
            let q = CovariateCorrelation.qValues(block.map(\.stoufferP))
            for index in block.indices { block[index].stoufferQ = q[index] }
            programs += block
            for (position, disease) in diseases.enumerated() {
                for other in diseases[(position + 1)...] {
                    let values = { (group: String) in signatures.map { effect[$0]?[group]?.effect ?? .nan } }
                    similarity.append(
                        Similarity(strata: stratum, disease: disease, other: other, correlation: Correlation.spearman(values(disease), values(other))))
                }
            }
        }
        return Result(programs: programs, similarity: similarity, strata: table.strata)
    }

    /// The distinct values in order of first appearance.
    static func ordered<T: Hashable>(_ values: [T]) -> [T] {
        var seen = Set<T>()
        return values.filter { seen.insert($0).inserted }
    }
}

extension SharedPrograms.Result {
    /// `programs` ([strata…,] signature, diseases, up, down, direction, mean_effect, stouffer_z,
    /// stouffer_p, stouffer_q, shared yes/no) and `similarity` ([strata…,] disease, other, n,
    /// spearman_rho, spearman_p).
    public var tables: [ResultTable] {
        let programTable = ResultTable(
            name: "programs", rows: programs, labelColumns: strata, labels: \.strata,
            columns: [
                ("signature", .string(\.signature)), ("diseases", .integer(\.diseases)), ("up", .integer(\.up)), ("down", .integer(\.down)),
                ("direction", .string(\.direction)), ("mean_effect", .double(\.meanEffect)), ("stouffer_z", .double(\.stoufferZ)),
                ("stouffer_p", .double(\.stoufferP)), ("stouffer_q", .double(\.stoufferQ)), ("shared", .string { $0.shared ? "yes" : "no" }),
            ])
        let similarityTable = ResultTable(
            name: "similarity", rows: similarity, labelColumns: strata, labels: \.strata,
            columns: [
                ("disease", .string(\.disease)), ("other", .string(\.other)), ("n", .integer(\.correlation.n)),
                ("spearman_rho", .double(\.correlation.r)), ("spearman_p", .double(\.correlation.pvalue)),
            ])
        return [programTable, similarityTable]
    }
}
