/// One group's bootstrap result, per gene: the mean over replicates of the replicate's pseudobulk
/// mean, and the 2.5th and 97.5th percentiles of those means (a 95% percentile interval).
///
/// A replicate that drew no cell of the group (probability e⁻ⁿ for a group of n cells) has no
/// mean and is skipped; `validReplicates` counts the others. With none, every value is NaN.
public struct BootstrapSummary: Sendable, Hashable {
    /// Per gene, the mean over valid replicates of the replicate's pseudobulk mean (NaN with none).
    public var mean: [Double]
    /// Per gene, the 2.5th percentile of the valid replicates' means (NaN with none).
    public var lower: [Double]
    /// Per gene, the 97.5th percentile of the valid replicates' means (NaN with none).
    public var upper: [Double]
    /// Replicates that drew at least one cell of the group.
    public var validReplicates: Int

    /// A summary from its per-gene values and the number of valid replicates.
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
