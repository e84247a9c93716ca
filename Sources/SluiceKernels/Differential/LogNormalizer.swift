import Foundation

/// `sc.pp.normalize_total(target_sum=1e4)` followed by `sc.pp.log1p` on one cell's stored
/// values, in scanpy's float32 arithmetic so that equal inputs give bit-identical outputs (ties
/// and ranks depend on it):
///
/// 1. the cell's total is summed in float64 and stored as float32 (scanpy's `_normalize_csr`);
/// 2. the size factor is `total / target_sum` in float32 (1 for an empty cell);
/// 3. each value is divided by the factor in float32, then `log1pf`.
public enum LogNormalizer {
    /// Normalizes and log-transforms `values` (one cell's stored counts) in place.
    public static func normalizeLog1p(_ values: UnsafeMutableBufferPointer<Float>, targetSum: Float = 1e4) {
        var total = 0.0
        for value in values { total += Double(value) }
        var factor = Float(total) / targetSum
        if factor == 0 { factor = 1 }
        for index in values.indices { values[index] = log1p(values[index] / factor) }
    }
}
