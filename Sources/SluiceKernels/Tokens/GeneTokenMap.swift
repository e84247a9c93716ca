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
        isOneToOne = tokens.count == tokenOfGene.count { $0 != nil }
    }

    /// Whether no two genes share a token (then counts need no summing).
    public let isOneToOne: Bool

    /// Number of slots: the distinct tokens of the dataset's genes.
    public var slotCount: Int { tokenOfSlot.count }

    /// Writes to `slots`/`counts` each slot with a non-zero summed count in row `row`, and
    /// returns how many it wrote: at most the row's stored values, which the buffers must hold.
    ///
    /// `scratch` must hold `slotCount` zeros; it is left zeroed again. `touched` is working space.
    public func gather(
        _ rows: SparseRows, row: Int, scratch: inout [Double], touched: inout [Int32],
        slots: UnsafeMutablePointer<Int32>, counts: UnsafeMutablePointer<Double>
    ) -> Int {
        let lower = Int(rows.offsets[row])
        let upper = Int(rows.offsets[row + 1])
        var written = 0
        if isOneToOne {
            rows.columns.withUnsafeBufferPointer { columns in
                rows.values.withUnsafeBufferPointer { values in
                    slotOfGene.withUnsafeBufferPointer { slotOf in
                        for k in lower..<upper {
                            let slot = slotOf[Int(columns[k])]
                            guard slot >= 0, values[k] != 0 else { continue }
                            slots[written] = slot
                            counts[written] = Double(values[k])
                            written += 1
                        }
                    }
                }
            }
            return written
        }
        touched.removeAll(keepingCapacity: true)
        scratch.withUnsafeMutableBufferPointer { sums in
            rows.columns.withUnsafeBufferPointer { columns in
                rows.values.withUnsafeBufferPointer { values in
                    slotOfGene.withUnsafeBufferPointer { slotOf in
                        for k in lower..<upper {
                            let slot = slotOf[Int(columns[k])]
                            guard slot >= 0, values[k] != 0 else { continue }
                            if sums[Int(slot)] == 0 { touched.append(slot) }
                            sums[Int(slot)] += Double(values[k])
                        }
                    }
                }
            }
            for slot in touched {
                let count = sums[Int(slot)]
                sums[Int(slot)] = 0
                if count != 0 {
                    slots[written] = slot
                    counts[written] = count
                    written += 1
                }
            }
        }
        return written
    }
}
