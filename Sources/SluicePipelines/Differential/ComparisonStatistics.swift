import SluiceFormats

/// Per-comparison, per-gene statistics filled by several threads at once (each gene by one
/// thread), in flat buffers indexed `comparison × genes + gene`.
final class ComparisonStatistics: @unchecked Sendable {
    // Threads write disjoint genes and nobody reads until they are done: hence @unchecked Sendable.
    let genes: Int
    let comparisons: Int
    let scores: UnsafeMutableBufferPointer<Double>
    let pValues: UnsafeMutableBufferPointer<Double>
    /// log₂ fold changes or mean differences (``DifferentialEffect``).
    let effects: UnsafeMutableBufferPointer<Double>

    init(comparisons: Int, genes: Int) {
        self.genes = genes
        self.comparisons = comparisons
        scores = .allocate(capacity: comparisons * genes)
        pValues = .allocate(capacity: comparisons * genes)
        effects = .allocate(capacity: comparisons * genes)
        scores.initialize(repeating: 0)
        pValues.initialize(repeating: 1)
        effects.initialize(repeating: 0)
    }

    /// One statistic of one comparison, for every gene.
    func column(_ buffer: UnsafeMutableBufferPointer<Double>, comparison: Int) -> [Double] {
        Array(buffer[(comparison * genes)..<((comparison + 1) * genes)])
    }

    /// Adds the statistics to `archive` (a checkpoint).
    func save(into archive: inout StateArchive) {
        archive.put("statistics.scores", Array(scores))
        archive.put("statistics.p", Array(pValues))
        archive.put("statistics.effect", Array(effects))
    }

    /// Takes up the statistics ``save(into:)`` stored in `archive`.
    func restore(from archive: StateArchive) throws {
        for (name, buffer) in [("statistics.scores", scores), ("statistics.p", pValues), ("statistics.effect", effects)] {
            let values = try archive.array(name, of: Double.self)
            guard values.count == buffer.count else {
                throw AnalysisError(code: "differential.checkpoint", "the checkpoint holds \(values.count) statistics where \(buffer.count) are expected")
            }
            _ = buffer.update(fromContentsOf: values)
        }
    }

    deinit {
        scores.deallocate()
        pValues.deallocate()
        effects.deallocate()
    }
}
