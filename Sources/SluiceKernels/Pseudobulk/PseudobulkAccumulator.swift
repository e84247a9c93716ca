public import SluiceFormats

/// Per-group sums, non-zero cell counts, cell counts and total counts, accumulated over cells
/// streamed a chunk at a time: the one-pass core of `sluice analyze pseudobulk`.
///
/// For group g and gene j it keeps what `scanpy.get.aggregate(adata, by, func=["sum",
/// "count_nonzero"])` reports (Σ x over the group's cells, and how many of them have x ≠ 0), and
/// per group the cell count and the total counts decoupler's `get_pseudobulk` calls
/// `psbulk_cells` / `psbulk_counts`; the mean is sum / cells. Sums are Double, so integer counts
/// stay exact up to 2^53.
///
/// Groups are numbered by the caller (``addGroup()``) as they appear; each holds one dense row of
/// Double sums and one of `Int32` counts, so memory is 12 bytes × groups × genes, whatever the
/// number of cells. Each group's cells are added in the order given, so the result does not depend
/// on how the cells were split into chunks.
public struct PseudobulkAccumulator: Sendable {
    /// Genes (columns) of every row added.
    public let geneCount: Int
    /// `sums[g][j]`: the sum of gene j over group g's cells.
    public private(set) var sums: [[Double]] = []
    /// `nonzeroCells[g][j]`: how many of group g's cells have a non-zero value of gene j.
    public private(set) var nonzeroCells: [[Int32]] = []
    /// Cells added to each group.
    public private(set) var cellCounts: [Int] = []
    /// The sum of every value of each group's cells (decoupler's `psbulk_counts`).
    public private(set) var totalCounts: [Double] = []

    /// An accumulator with no groups yet, for rows of `geneCount` genes.
    public init(geneCount: Int) {
        self.geneCount = geneCount
    }

    /// Number of groups so far.
    public var groupCount: Int { cellCounts.count }

    /// Bytes one group's accumulators take.
    public static func bytesPerGroup(geneCount: Int) -> Int { geneCount * (MemoryLayout<Double>.size + MemoryLayout<Int32>.size) }

    /// Adds an empty group and returns its number (groups are numbered 0, 1, 2, …).
    @discardableResult
    public mutating func addGroup() -> Int {
        sums.append([Double](repeating: 0, count: geneCount))
        nonzeroCells.append([Int32](repeating: 0, count: geneCount))
        cellCounts.append(0)
        totalCounts.append(0)
        return cellCounts.count - 1
    }

    /// Adds every row of `matrix` to its group: `groups[r]` is row r's group, or −1 to leave the
    /// row out (a cell with a missing label).
    public mutating func add(_ matrix: SparseRows, groups: [Int32]) {
        precondition(matrix.columnCount == geneCount, "rows have \(matrix.columnCount) genes, the accumulator \(geneCount)")
        precondition(groups.count == matrix.rowCount, "one group per row")
        precondition(groups.allSatisfy { $0 < cellCounts.count }, "a row's group was never added")
        // A group's rows together, in file order: its accumulators stay cached (GroupedRows).
        let rows = GroupedRows.order(groups, groupCount: cellCounts.count)
        matrix.offsets.withUnsafeBufferPointer { offsets in
            matrix.columns.withUnsafeBufferPointer { columns in
                matrix.values.withUnsafeBufferPointer { values in
                    for r in rows {
                        let g = Int(groups[r])
                        let entries = Int(offsets[r])..<Int(offsets[r + 1])
                        var total = 0.0
                        sums[g].withUnsafeMutableBufferPointer { sum in
                            nonzeroCells[g].withUnsafeMutableBufferPointer { nonzero in
                                for k in entries {
                                    let value = Double(values[k])
                                    let j = Int(columns[k])
                                    sum[j] += value
                                    total += value
                                    // Stored zeros are not expressed (scanpy's count_nonzero counts values ≠ 0).
                                    if value != 0 { nonzero[j] += 1 }
                                }
                            }
                        }
                        cellCounts[g] += 1
                        totalCounts[g] += total
                    }
                }
            }
        }
    }

    /// Adds the accumulators to `archive`, their sections' names starting with `prefix`.
    public func save(into archive: inout StateArchive, prefix: String) {
        archive.put(prefix + ".sums", rows: sums)
        archive.put(prefix + ".nonzero", rows: nonzeroCells)
        archive.put(prefix + ".cells", cellCounts)
        archive.put(prefix + ".counts", totalCounts)
    }

    /// The accumulator ``save(into:prefix:)`` stored in `archive`.
    public init(restoring archive: StateArchive, prefix: String, geneCount: Int) throws {
        self.geneCount = geneCount
        cellCounts = try archive.array(prefix + ".cells")
        totalCounts = try archive.array(prefix + ".counts")
        sums = try archive.rows(prefix + ".sums", count: cellCounts.count, length: geneCount)
        nonzeroCells = try archive.rows(prefix + ".nonzero", count: cellCounts.count, length: geneCount)
        guard totalCounts.count == cellCounts.count else {
            throw FormatError(.corruptData, path: "", "a saved pseudobulk accumulator has \(cellCounts.count) groups' cells but \(totalCounts.count) groups' counts")
        }
    }

    /// `sum / cells` for every gene of group `g` (NaN for a group without cells).
    public func means(_ g: Int) -> [Double] {
        let cells = Double(cellCounts[g])
        return sums[g].map { $0 / cells }
    }
}
