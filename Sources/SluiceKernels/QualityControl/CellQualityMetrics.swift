public import SluiceFormats

/// Per-cell quality metrics, as scanpy's `calculate_qc_metrics` names them.
///
/// - `n_counts`: total counts of the cell over all genes;
/// - `n_genes`: genes with a non-zero count;
/// - `pct_mito`: percent of the counts on mitochondrial genes (`MT-…`), 0 for an empty cell.
///
/// It also counts, per cell, the values that are no counts: negative, NaN or infinite ones
/// (`invalidValues`), and finite ones with a fraction (`fractionalValues`), so a caller can
/// refuse such input before ranking it.
public struct CellQualityMetrics: Sendable, Hashable {
    /// `n_counts`: each cell's total count over all genes.
    public var totalCounts: [Double]
    /// `n_genes`: each cell's number of genes with a non-zero count.
    public var genesDetected: [Int32]
    /// `pct_mito`: percent (0–100) of each cell's counts on mitochondrial genes; 0 unless its
    /// total is positive.
    public var percentMitochondrial: [Double]
    /// Stored values per cell that are negative, NaN or infinite.
    public var invalidValues: [Int32]
    /// Stored finite values per cell that are not whole numbers.
    public var fractionalValues: [Int32]

    /// The first cell with a negative, NaN or infinite value, if any.
    public var firstInvalidCell: Int? { invalidValues.firstIndex { $0 > 0 } }
    /// Stored values, over all cells, that are finite, ≥ 0 and not whole numbers.
    public var fractionalValueCount: Int { fractionalValues.reduce(0) { $0 + Int($1) } }

    /// Measures every row of `rows`; `mitochondrial[g]` marks mitochondrial genes. Rows are
    /// measured on every core, each row on its own, so the result does not depend on the split.
    public init(_ rows: SparseRows, mitochondrial: [Bool]) {
        precondition(mitochondrial.count == rows.columnCount, "one flag per gene")
        var totals = [Double](repeating: 0, count: rows.rowCount)
        var detected = [Int32](repeating: 0, count: rows.rowCount)
        var mito = [Double](repeating: 0, count: rows.rowCount)
        var invalid = [Int32](repeating: 0, count: rows.rowCount)
        var fractional = [Int32](repeating: 0, count: rows.rowCount)
        let parts = rows.values.count >= Self.parallelMinimum ? ParallelFor.cores : 1
        rows.offsets.withUnsafeBufferPointer { offsets in
            rows.columns.withUnsafeBufferPointer { columns in
                rows.values.withUnsafeBufferPointer { values in
                    mitochondrial.withUnsafeBufferPointer { isMito in
                        totals.withUnsafeMutableBufferPointer { totals in
                            detected.withUnsafeMutableBufferPointer { detected in
                                mito.withUnsafeMutableBufferPointer { mito in
                                    invalid.withUnsafeMutableBufferPointer { invalid in
                                        fractional.withUnsafeMutableBufferPointer { fractional in
                                            let (offsets, columns, values, isMito) = (
                                                SharedPointer(reading: offsets), SharedPointer(reading: columns),
                                                SharedPointer(reading: values),
                                                SharedPointer(reading: isMito)
                                            )
                                            let (totals, detected, mito) = (
                                                SharedPointer(totals), SharedPointer(detected), SharedPointer(mito)
                                            )
                                            let (invalid, fractional) = (SharedPointer(invalid), SharedPointer(fractional))
                                            ParallelFor.run(rows.rowCount, parts: parts) { _, part in
                                                for r in part {
                                                    var total = 0.0
                                                    var mitoTotal = 0.0
                                                    var count: Int32 = 0
                                                    var notCounts: Int32 = 0
                                                    var withFraction: Int32 = 0
                                                    for k in Int(offsets[r])..<Int(offsets[r + 1]) {
                                                        let stored = values[k]
                                                        let valid = stored.nonNegativeFiniteBit
                                                        notCounts &+= Int32(valid ^ 1)
                                                        withFraction &+= Int32(valid & (stored.wholeBit ^ 1))
                                                        let value = Double(stored)
                                                        guard value != 0 else { continue }
                                                        total += value
                                                        count += 1
                                                        if isMito[Int(columns[k])] { mitoTotal += value }
                                                    }
                                                    totals[r] = total
                                                    detected[r] = count
                                                    mito[r] = total > 0 ? 100 * mitoTotal / total : 0
                                                    invalid[r] = notCounts
                                                    fractional[r] = withFraction
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        totalCounts = totals
        genesDetected = detected
        percentMitochondrial = mito
        invalidValues = invalid
        fractionalValues = fractional
    }

    /// Fewer stored values than this are measured on the calling thread alone.
    private static let parallelMinimum = 1 << 16
}
