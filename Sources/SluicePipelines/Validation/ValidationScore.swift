import Foundation

/// A signature's quality score: the weighted mean of its checks, each first put on 0…1 —
///
/// | check | normalised as |
/// |---|---|
/// | `sample` | max(0, Spearman ρ of activity and own-gene expression across samples) |
/// | `celltype` | max(0, the same across cell types) |
/// | `concordance` | max(0, Pearson r of the groups' mean single-cell activity and their pseudobulk activity) |
/// | `singlecell` | max(0, 2·(AUC − 0.5)), AUC = U / (n₁n₂) of expressing against non-expressing cells |
/// | `biological` | the concordance rate with the expected directions |
/// | `coverage` | the share of the signature's genes detected |
/// | `stability` | max(0, mean correlation between folds) |
///
/// score = Σ wᵢ·sᵢ / Σ wᵢ over the checks that were run and are defined for the signature (a
/// check without its inputs, or NaN, drops out of both sums); every weight is 0.2 unless set.
public struct ValidationScore: Sendable, Equatable {
    public enum Check: String, Sendable, CaseIterable, Hashable {
        case sample, celltype, concordance, singlecell, biological, coverage, stability
    }

    public var signature: String
    /// Each run check's normalised value (NaN: undefined for this signature).
    public var checks: [Check: Double]
    public var score: Double

    public static let defaultWeight = 0.2

    /// The score of `checks` under `weights` (a check not named weighs ``defaultWeight``).
    public init(signature: String, checks: [Check: Double], weights: [Check: Double] = [:]) {
        self.signature = signature
        self.checks = checks
        var sum = 0.0
        var total = 0.0
        for (check, value) in checks where !value.isNaN {
            let weight = weights[check] ?? Self.defaultWeight
            sum += weight * value
            total += weight
        }
        score = total > 0 ? sum / total : .nan
    }

    /// A correlation on 0…1: its positive part.
    public static func positive(_ r: Double) -> Double { r.isNaN ? .nan : max(0, r) }

    /// An AUC on 0…1: how far above chance, doubled.
    public static func aboveChance(_ auc: Double) -> Double { auc.isNaN ? .nan : max(0, 2 * (auc - 0.5)) }

    /// Parses `sample=0.3,stability=0.1`.
    public static func weights(_ text: String) throws -> [Check: Double] {
        var result: [Check: Double] = [:]
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let check = Check(rawValue: pair[0]), let weight = Double(pair[1]), weight >= 0, weight.isFinite else {
                throw AnalysisError(
                    code: "validate.weights",
                    "'\(part)' is not CHECK=WEIGHT with a weight ≥ 0 and CHECK one of \(Check.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            result[check] = weight
        }
        return result
    }
}
