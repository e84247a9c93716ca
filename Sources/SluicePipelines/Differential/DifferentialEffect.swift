import SluiceKernels

/// What `sluice analyze differential` reports as the size of a difference.
public enum DifferentialEffect: String, Sendable, CaseIterable {
    /// scanpy's `logfoldchanges`: log₂ of the ratio of the groups' expm1 means (log1p data).
    case logFoldChange = "log2fc"
    /// The difference of the groups' means, for values that are already on a difference scale —
    /// activity z-scores, which are negative as often as positive and have no ratio.
    case activityDifference = "activity-diff"

    /// The effect of a group with mean `groupMean` against the other side's `otherMean`.
    public func of(groupMean: Double, otherMean: Double) -> Double {
        switch self {
        case .logFoldChange: GroupMeans.log2FoldChange(groupMean: groupMean, restMean: otherMean)
        case .activityDifference: groupMean - otherMean
        }
    }
}
