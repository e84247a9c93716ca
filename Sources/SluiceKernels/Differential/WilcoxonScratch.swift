/// Working arrays of ``WilcoxonRankSums/againstReference(sortedKeys:reference:groups:cells:moments:scratch:doubledRankSums:tieTerms:)``,
/// indexed by slot and reused from gene to gene (one per thread).
public struct WilcoxonScratch: Sendable {
    /// 0: not compared, 1: a group compared with the reference, 2: the reference.
    var role: [UInt8]
    /// Stored values of each slot ranked so far.
    var before: [Int]
    /// Stored values of each slot in the current tie block.
    var blockCount: [Int]
    /// Zeros of the (group, reference) pool once they have been placed (they rank below every positive value).
    var zeroOffset: [Int]
    /// Slots seen in the current tie block.
    var touched: [UInt32] = []

    /// Zeroed arrays for slots `0..<slotCount`.
    public init(slotCount: Int) {
        role = [UInt8](repeating: 0, count: slotCount)
        before = [Int](repeating: 0, count: slotCount)
        blockCount = [Int](repeating: 0, count: slotCount)
        zeroOffset = [Int](repeating: 0, count: slotCount)
    }
}
