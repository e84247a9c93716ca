public import SluiceFormats

/// Maps a dataset's genes (matrix columns) onto vocabulary tokens, summing the counts of genes
/// that map to the same token.
///
/// Tokens are numbered densely as *slots* `0..<slotCount` in ascending token-id order, so per-gene
/// state (medians, histograms) is held for the dataset's tokens only, not the whole vocabulary.
public struct GeneTokenMap: Sendable {
    /// Slot of each dataset gene, or −1 for a gene without a token.
    public let slotOfGene: [Int32]
    /// Token id of each slot, ascending.
    public let tokenOfSlot: [Int32]

    /// `tokenOfGene[g]` is the token id of dataset gene `g`, or `nil`.
    public init(tokenOfGene: [Int32?]) {
        let tokens = Array(Set(tokenOfGene.compactMap { $0 })).sorted()
        var slotOfToken: [Int32: Int32] = [:]
        for (slot, token) in tokens.enumerated() { slotOfToken[token] = Int32(slot) }
        slotOfGene = tokenOfGene.map { $0.flatMap { slotOfToken[$0] } ?? -1 }
        tokenOfSlot = tokens
    }

    public var slotCount: Int { tokenOfSlot.count }

    /// Calls `body(slot, count)` once per slot with a non-zero summed count in row `row`.
    ///
    /// `scratch` must hold `slotCount` zeros; it is left zeroed again.
    @inline(__always)
    public func forEachSlot(
        in rows: SparseRows, row: Int, scratch: inout [Double], touched: inout [Int32], _ body: (Int, Double) -> Void
    ) {
        touched.removeAll(keepingCapacity: true)
        rows.columns.withUnsafeBufferPointer { columns in
            rows.values.withUnsafeBufferPointer { values in
                slotOfGene.withUnsafeBufferPointer { slots in
                    for k in Int(rows.offsets[row])..<Int(rows.offsets[row + 1]) {
                        let slot = slots[Int(columns[k])]
                        guard slot >= 0, values[k] != 0 else { continue }
                        if scratch[Int(slot)] == 0 { touched.append(slot) }
                        scratch[Int(slot)] += Double(values[k])
                    }
                }
            }
        }
        for slot in touched {
            let count = scratch[Int(slot)]
            scratch[Int(slot)] = 0
            if count != 0 { body(Int(slot), count) }
        }
    }
}
