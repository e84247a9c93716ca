/// Each gene's count of cells, cells where it was detected, mean and variance, updated one
/// chunk of cells at a time and mergeable (Chan, Golub and LeVeque's pairwise update): the
/// statistics of a corpus seen in batches, as one pass over all of it would give them to
/// rounding. A gene's cells are those of the chunks that measured it; a cell where a measured
/// gene has no stored value counts as a zero.
public struct GeneStatistics: Sendable, Codable, Hashable {
    /// Per gene: cells seen, cells with a non-zero value, mean, and the sum of squared
    /// deviations from the mean (`variance × cells`).
    public private(set) var cells: [Int]
    public private(set) var detected: [Int]
    public private(set) var mean: [Double]
    public private(set) var squaredDeviations: [Double]

    /// Statistics of `genes` genes, none seen yet.
    public init(genes: Int) {
        cells = Array(repeating: 0, count: genes)
        detected = cells
        mean = Array(repeating: 0, count: genes)
        squaredDeviations = mean
    }

    /// The genes counted.
    public var genes: Int { cells.count }

    /// Each gene's population variance (0 for a gene never seen).
    public var variance: [Double] { zip(squaredDeviations, cells).map { $1 > 0 ? $0 / Double($1) : 0 } }

    /// Adds genes, not seen yet, after the existing ones.
    public mutating func grow(to genes: Int) {
        guard genes > self.genes else { return }
        let added = genes - self.genes
        cells += Array(repeating: 0, count: added)
        detected += Array(repeating: 0, count: added)
        mean += Array(repeating: 0, count: added)
        squaredDeviations += Array(repeating: 0, count: added)
    }

    /// Adds a chunk of `cellCount` cells that measured the genes in `measured`, whose non-zero
    /// values are `values[i]` of gene `genesOfValues[i]` (in any order).
    public mutating func add(cellCount: Int, measured: [Int], genesOfValues: [Int32], values: [Double]) {
        guard cellCount > 0 else { return }
        var sums = [Double](repeating: 0, count: genes)
        var counts = [Int](repeating: 0, count: genes)
        for (gene, value) in zip(genesOfValues, values) {
            sums[Int(gene)] += value
            counts[Int(gene)] += 1
        }
        let n = Double(cellCount)
        var deviations = [Double](repeating: 0, count: genes)
        for (gene, value) in zip(genesOfValues, values) {
            let d = value - sums[Int(gene)] / n
            deviations[Int(gene)] += d * d
        }
        for gene in measured {
            let chunkMean = sums[gene] / n
            // The cells without a stored value are zeros, each `chunkMean` below the mean.
            let chunkDeviations = deviations[gene] + Double(cellCount - counts[gene]) * chunkMean * chunkMean
            merge(gene: gene, cells: cellCount, detected: counts[gene], mean: chunkMean, squaredDeviations: chunkDeviations)
        }
    }

    /// Adds `other`'s gene `from` to this one's gene `gene`.
    public mutating func merge(_ other: GeneStatistics, gene from: Int, into gene: Int) {
        merge(gene: gene, cells: other.cells[from], detected: other.detected[from], mean: other.mean[from], squaredDeviations: other.squaredDeviations[from])
    }

    private mutating func merge(gene: Int, cells added: Int, detected found: Int, mean addedMean: Double, squaredDeviations addedDeviations: Double) {
        guard added > 0 else { return }
        let before = cells[gene]
        guard before > 0 else {
            (cells[gene], detected[gene], mean[gene], squaredDeviations[gene]) = (added, found, addedMean, addedDeviations)
            return
        }
        let total = before + added
        let delta = addedMean - mean[gene]
        mean[gene] += delta * Double(added) / Double(total)
        squaredDeviations[gene] += addedDeviations + delta * delta * Double(before) * Double(added) / Double(total)
        cells[gene] = total
        detected[gene] += found
    }
}
