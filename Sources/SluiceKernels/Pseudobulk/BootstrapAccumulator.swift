public import SluiceFormats

/// Poisson-bootstrap replicates of every group's pseudobulk, accumulated in the same single pass
/// as ``PseudobulkAccumulator``.
///
/// Replicate r of group g weights each of the group's cells by its ``PoissonBootstrap``
/// multiplicity w: it keeps Σ w·x per gene and Σ w (the cells drawn), whose ratio is the
/// replicate's pseudobulk mean. No cell is stored, so memory is 8 bytes × groups × genes ×
/// replicates (plus 8 × replicates per group), whatever the number of cells, and the work is
/// replicates × stored values. Cells are identified by their position in the file, so the result
/// does not depend on the chunk size.
public struct BootstrapAccumulator: Sendable {
    /// The multiplicities.
    public let bootstrap: PoissonBootstrap
    /// Genes (columns) of every row added.
    public let geneCount: Int
    /// Per group, gene-major: `sums[g][j * replicates + r]` = Σ w·x of gene j in replicate r.
    private var sums: [[Double]] = []
    /// Per group: cells drawn in each replicate (Σ w).
    private var drawn: [[Double]] = []
    /// One cell's multiplicities.
    private var weights: [Double]

    /// An accumulator with no groups, for rows of `geneCount` genes.
    public init(bootstrap: PoissonBootstrap, geneCount: Int) {
        self.bootstrap = bootstrap
        self.geneCount = geneCount
        weights = [Double](repeating: 0, count: bootstrap.replicates)
    }

    /// Number of groups so far.
    public var groupCount: Int { drawn.count }

    /// Bytes one group's replicates take.
    public static func bytesPerGroup(geneCount: Int, replicates: Int) -> Int {
        (geneCount + 1) * replicates * MemoryLayout<Double>.size
    }

    /// Adds an empty group (numbered as in ``PseudobulkAccumulator``).
    public mutating func addGroup() {
        sums.append([Double](repeating: 0, count: geneCount * bootstrap.replicates))
        drawn.append([Double](repeating: 0, count: bootstrap.replicates))
    }

    /// Adds every row of `matrix` to its group's replicates; row r is cell `firstCell + r` of the
    /// file and `groups[r]` its group (−1: left out).
    public mutating func add(_ matrix: SparseRows, groups: [Int32], firstCell: Int) {
        precondition(matrix.columnCount == geneCount, "rows have \(matrix.columnCount) genes, the accumulator \(geneCount)")
        precondition(groups.count == matrix.rowCount, "one group per row")
        precondition(groups.allSatisfy { $0 < drawn.count }, "a row's group was never added")
        let replicates = bootstrap.replicates
        let bootstrap = bootstrap
        let rows = GroupedRows.order(groups, groupCount: drawn.count)
        matrix.offsets.withUnsafeBufferPointer { offsets in
            matrix.columns.withUnsafeBufferPointer { columns in
                matrix.values.withUnsafeBufferPointer { values in
                    weights.withUnsafeMutableBufferPointer { w in
                        for r in rows {
                            let g = Int(groups[r])
                            bootstrap.weights(cell: firstCell + r, into: w)
                            drawn[g].withUnsafeMutableBufferPointer { cells in
                                for b in 0..<replicates { cells[b] += w[b] }
                            }
                            sums[g].withUnsafeMutableBufferPointer { sum in
                                for k in Int(offsets[r])..<Int(offsets[r + 1]) {
                                    let value = Double(values[k])
                                    let base = Int(columns[k]) * replicates
                                    for b in 0..<replicates { sum[base + b] += w[b] * value }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the replicates' sums to `archive`, their sections' names starting with `prefix`.
    public func save(into archive: inout StateArchive, prefix: String) {
        archive.put(prefix + ".sums", rows: sums)
        archive.put(prefix + ".drawn", rows: drawn)
    }

    /// The accumulator of `groups` groups ``save(into:prefix:)`` stored in `archive`.
    public init(restoring archive: StateArchive, prefix: String, bootstrap: PoissonBootstrap, geneCount: Int, groups: Int) throws {
        self.init(bootstrap: bootstrap, geneCount: geneCount)
        sums = try archive.rows(prefix + ".sums", count: groups, length: geneCount * bootstrap.replicates)
        drawn = try archive.rows(prefix + ".drawn", count: groups, length: bootstrap.replicates)
    }

    /// Group g's bootstrap mean and 95% percentile interval of the pseudobulk mean, per gene.
    public func summary(group g: Int) -> BootstrapSummary {
        let replicates = bootstrap.replicates
        let valid = (0..<replicates).filter { drawn[g][$0] > 0 }
        var mean = [Double](repeating: .nan, count: geneCount)
        var lower = mean
        var upper = mean
        guard !valid.isEmpty else { return BootstrapSummary(mean: mean, lower: lower, upper: upper, validReplicates: 0) }
        var means = [Double](repeating: 0, count: valid.count)
        sums[g].withUnsafeBufferPointer { sum in
            for j in 0..<geneCount {
                let base = j * replicates
                var total = 0.0
                for (i, b) in valid.enumerated() {
                    means[i] = sum[base + b] / drawn[g][b]
                    total += means[i]
                }
                mean[j] = total / Double(valid.count)
                means.sort()
                lower[j] = BootstrapSummary.percentile(sorted: means, 2.5)
                upper[j] = BootstrapSummary.percentile(sorted: means, 97.5)
            }
        }
        return BootstrapSummary(mean: mean, lower: lower, upper: upper, validReplicates: valid.count)
    }
}
