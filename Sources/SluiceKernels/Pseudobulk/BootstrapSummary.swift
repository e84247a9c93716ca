/// One group's bootstrap result, per gene: the mean over replicates of the replicate's pseudobulk
/// mean, and the 2.5th and 97.5th percentiles of those means (a 95% percentile interval).
///
/// A replicate that drew no cell of the group (probability e⁻ⁿ for a group of n cells) has no
/// mean and is skipped; `validReplicates` counts the others. With none, every value is NaN.
public struct BootstrapSummary: Sendable, Hashable {
    public var mean: [Double]
    public var lower: [Double]
    public var upper: [Double]
    public var validReplicates: Int

    public init(mean: [Double], lower: [Double], upper: [Double], validReplicates: Int) {
        self.mean = mean
        self.lower = lower
        self.upper = upper
        self.validReplicates = validReplicates
    }

    /// The `q`th percentile (0–100) of ascending `sorted` values by numpy's default rule
    /// (`method="linear"`, Hyndman & Fan type 7): interpolate at position q/100 · (n − 1).
    public static func percentile(sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}
