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
    var sorter = RankSorter()
    /// (slot, count) pairs of the cells being worked on: in the median passes the counts are
    /// replaced by normalized values for the estimator; in the token pass one cell at a time.
    var slots: [Int32] = []
    var values: [Double] = []
    /// How many pairs of `slots`/`values` are in use.
    var used = 0

    init(slotCount: Int) {
        scratch = [Double](repeating: 0, count: slotCount)
    }

    /// Makes room for `count` pairs in `slots`/`values`, keeping those in use.
    func reserve(_ count: Int) {
        guard slots.count < count else { return }
        let growth = max(count, 2 * slots.count) - slots.count
        slots.append(contentsOf: repeatElement(0, count: growth))
        values.append(contentsOf: repeatElement(0, count: growth))
    }

    /// Gathers the non-zero slots of `rows` (each a row of `matrix`) after the pairs in use,
    /// counts in `values`, and returns where each row's pairs start (plus the end).
    func gather(_ map: GeneTokenMap, _ matrix: SparseRows, rows: some Collection<Int>) -> [Int] {
        reserve(used + rows.reduce(0) { $0 + Int(matrix.offsets[$1 + 1] - matrix.offsets[$1]) })
        var starts = [used]
        starts.reserveCapacity(rows.count + 1)
        slots.withUnsafeMutableBufferPointer { slots in
            values.withUnsafeMutableBufferPointer { values in
                for row in rows {
                    used += map.gather(
                        matrix, row: row, scratch: &scratch, touched: &touched, slots: slots.baseAddress! + used,
                        counts: values.baseAddress! + used)
                    starts.append(used)
                }
            }
        }
        return starts
    }

    /// Writes the tokens of row `row` of `matrix` to `output` and returns how many; uses (and
    /// overwrites) the pairs in use when genes share tokens and their counts must be summed.
    func writeTokens(
        _ tokenizer: RankValueTokenizer, _ map: GeneTokenMap, _ matrix: SparseRows, row: Int, total: Double,
        into output: UnsafeMutablePointer<Int32>
    ) -> Int {
        if map.isOneToOne {
            return tokenizer.writeTokens(matrix, row: row, map: map, total: total, sorter: &sorter, into: output)
        }
        used = 0
        _ = gather(map, matrix, rows: CollectionOfOne(row))
        return slots.withUnsafeBufferPointer { slots in
            values.withUnsafeBufferPointer { counts in
                tokenizer.writeTokens(
                    slots: UnsafeBufferPointer(rebasing: slots[0..<used]), counts: UnsafeBufferPointer(rebasing: counts[0..<used]),
                    total: total, sorter: &sorter, into: output)
            }
        }
    }

    /// Calls `body` with the (slot, value) pairs in use of every worker, in worker order.
    static func withPairsInUse<Result>(
        _ workers: ArraySlice<CellWorker>, _ body: ([(genes: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Double>)]) -> Result
    ) -> Result {
        guard let first = workers.first else { return body([]) }
        return first.slots.withUnsafeBufferPointer { slots in
            first.values.withUnsafeBufferPointer { values in
                let pairs = (UnsafeBufferPointer(rebasing: slots[0..<first.used]), UnsafeBufferPointer(rebasing: values[0..<first.used]))
                return withPairsInUse(workers.dropFirst()) { rest in body([pairs] + rest) }
            }
        }
    }

    /// How many workers a converter uses: four per core, so that a thread that finishes its
    /// part early takes another while the writer thread shares the cores (parts are taken as
    /// threads come free; results are still joined in cell order).
    static var defaultCount: Int { 4 * max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
