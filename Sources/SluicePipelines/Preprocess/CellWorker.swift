import Dispatch
import Foundation
import SluiceFormats
import SluiceKernels

/// Working space of one thread of ``DatasetConverter``: each worker handles a contiguous part of
/// a batch's cells, so results are joined in cell order and outputs stay byte-identical whatever
/// the number of workers.
final class CellWorker: @unchecked Sendable {
    // Only the thread running this worker touches its arrays, which is why it is @unchecked Sendable.
    var scratch: [Double]
    var touched: [Int32] = []
    var cellSlots: [Int32] = []
    var cellCounts: [Double] = []
    var sorter = RankSorter()
    /// Median passes: (slot, normalized value) pairs for the estimator.
    var slots: [Int32] = []
    var values: [Double] = []
    /// Token pass: concatenated tokens and per-cell lengths.
    var tokens: [Int32] = []
    var lengths: [Int] = []

    init(slotCount: Int) {
        scratch = [Double](repeating: 0, count: slotCount)
    }

    /// Runs `body(worker, part)` on every worker at once; `part` is a contiguous range of `0..<count`.
    static func split(_ count: Int, over workers: [CellWorker], _ body: @Sendable (CellWorker, Range<Int>) -> Void) {
        let parts = workers.count
        DispatchQueue.concurrentPerform(iterations: parts) { index in
            let lower = count * index / parts
            let upper = count * (index + 1) / parts
            body(workers[index], lower..<upper)
        }
    }

    /// How many workers a converter uses: one per core.
    static var defaultCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
