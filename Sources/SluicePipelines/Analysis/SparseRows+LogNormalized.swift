import SluiceFormats
import SluiceKernels

extension SparseRows {
    /// Each row scaled to 10,000 and log1p-transformed as scanpy's `normalize_total(target_sum=1e4)`
    /// + `log1p` compute it (``LogNormalizer``), rows split over `threads`.
    func logNormalized(threads: Int) -> SparseRows {
        var matrix = self
        let rows = matrix.rowCount
        let offsets = matrix.offsets
        let parts = min(max(1, threads), max(1, rows / 256))
        matrix.values.withUnsafeMutableBufferPointer { values in
            // nonisolated(unsafe): each part writes only the values of its own rows.
            nonisolated(unsafe) let values = values
            ParallelFor.run(rows, parts: parts) { _, part in
                for row in part {
                    let range = Int(offsets[row])..<Int(offsets[row + 1])
                    LogNormalizer.normalizeLog1p(UnsafeMutableBufferPointer(rebasing: values[range]))
                }
            }
        }
        return matrix
    }
}
