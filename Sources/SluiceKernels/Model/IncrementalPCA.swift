import CLinearAlgebra
import Foundation

/// Principal components updated one batch of samples at a time, as scikit-learn's
/// `IncrementalPCA.partial_fit` updates them (Ross et al., "Incremental learning for robust visual
/// tracking", 2008): the running mean and variance are merged with the batch's, and the new
/// components are the top right singular vectors of the old components scaled by their singular
/// values, stacked on the centred batch and a row that corrects for the moved mean. Fed the same
/// batches in the same order, it gives scikit-learn's components (signs fixed the same way),
/// singular values and explained variance, to rounding.
///
/// The state is a value: a model version is a copy, saved as JSON (``Codable``).
public struct IncrementalPCA: Sendable, Codable, Hashable {
    /// Components kept.
    public let components: Int
    /// Features (columns) of every batch.
    public let features: Int
    /// Samples seen so far.
    public private(set) var samplesSeen = 0
    /// Each feature's mean and (population) variance over the samples seen.
    public private(set) var mean: [Double]
    public private(set) var variance: [Double]
    /// The components, row-major (`components × features`), each of unit length.
    public private(set) var componentVectors: [Double] = []
    public private(set) var singularValues: [Double] = []
    public private(set) var explainedVariance: [Double] = []
    public private(set) var explainedVarianceRatio: [Double] = []
    /// The mean of the variance left out of the kept components (0 when none is).
    public private(set) var noiseVariance = 0.0

    public init(components: Int, features: Int) {
        precondition(components > 0 && components <= features, "between 1 and the number of features components are kept")
        self.components = components
        self.features = features
        mean = Array(repeating: 0, count: features)
        variance = Array(repeating: 0, count: features)
    }

    /// Updates the model with `rows` samples (row-major, `rows × features`). Every batch must
    /// have at least ``components`` samples, as scikit-learn requires.
    public mutating func partialFit(_ batch: [Double], rows: Int) throws {
        precondition(batch.count == rows * features, "a batch holds rows × features values")
        guard rows > 0 else { return }
        if rows < components {
            throw ModelError(message: "a batch has \(rows) samples; \(components) components need at least as many in every batch")
        }
        let previous = (count: samplesSeen, mean: mean, variance: variance)
        let total = previous.count + rows
        // The batch's own mean and unnormalized variance.
        var batchMean = [Double](repeating: 0, count: features)
        for row in 0..<rows { for j in 0..<features { batchMean[j] += batch[row * features + j] } }
        let batchSum = batchMean
        for j in 0..<features { batchMean[j] /= Double(rows) }
        var batchSquares = [Double](repeating: 0, count: features)
        for row in 0..<rows {
            for j in 0..<features {
                let d = batch[row * features + j] - batchMean[j]
                batchSquares[j] += d * d
            }
        }
        // scikit-learn's _incremental_mean_and_var, in its order of operations.
        for j in 0..<features {
            let lastSum = previous.mean[j] * Double(previous.count)
            mean[j] = (lastSum + batchSum[j]) / Double(total)
            if previous.count == 0 {
                variance[j] = batchSquares[j] / Double(total)
            } else {
                let lastOverNew = Double(previous.count) / Double(rows)
                let gap = lastSum / lastOverNew - batchSum[j]
                variance[j] = (previous.variance[j] * Double(previous.count) + batchSquares[j] + lastOverNew / Double(total) * gap * gap) / Double(total)
            }
        }
        // The matrix whose SVD gives the new components.
        var stacked: [Double] = []
        let kept = previous.count == 0 ? 0 : singularValues.count
        stacked.reserveCapacity((kept + rows + 1) * features)
        for c in 0..<kept {
            for j in 0..<features { stacked.append(singularValues[c] * componentVectors[c * features + j]) }
        }
        for row in 0..<rows {
            for j in 0..<features { stacked.append(batch[row * features + j] - (previous.count == 0 ? mean[j] : batchMean[j])) }
        }
        var height = kept + rows
        if previous.count > 0 {
            let scale = (Double(previous.count) / Double(total) * Double(rows)).squareRoot()
            for j in 0..<features { stacked.append(scale * (previous.mean[j] - batchMean[j])) }
            height += 1
        }
        let (values, vectors) = try Self.rightSingularVectors(&stacked, rows: height, columns: features)
        let sumOfVariance = variance.reduce(0, +) * Double(total)
        let keep = min(components, values.count)
        singularValues = Array(values[0..<keep])
        componentVectors = Array(vectors[0..<keep * features])
        let allExplained = values.map { $0 * $0 / Double(total - 1) }
        explainedVariance = Array(allExplained[0..<keep])
        explainedVarianceRatio = values[0..<keep].map { $0 * $0 / sumOfVariance }
        noiseVariance = keep < min(features, total) && allExplained.count > keep ? allExplained[keep...].reduce(0, +) / Double(allExplained.count - keep) : 0
        samplesSeen = total
    }

    /// Projects `rows` samples (row-major) onto the components: `(x − mean) · componentsᵀ`,
    /// row-major `rows × components`.
    public func transform(_ batch: [Double], rows: Int) -> [Double] {
        let kept = singularValues.count
        var result = [Double](repeating: 0, count: rows * kept)
        for row in 0..<rows {
            for c in 0..<kept {
                var sum = 0.0
                for j in 0..<features { sum += (batch[row * features + j] - mean[j]) * componentVectors[c * features + j] }
                result[row * kept + c] = sum
            }
        }
        return result
    }

    /// The singular values (descending) and right singular vectors (row-major, one per value)
    /// of `matrix` (`rows × columns`, row-major; overwritten), each vector's sign set so that its
    /// largest-magnitude entry is positive (scikit-learn's `svd_flip`, `u_based_decision=False`).
    static func rightSingularVectors(_ matrix: inout [Double], rows: Int, columns: Int) throws -> (values: [Double], vectors: [Double]) {
        let rank = min(rows, columns)
        var values = [Double](repeating: 0, count: rank)
        var left = [Double](repeating: 0, count: rows * rank)
        var right = [Double](repeating: 0, count: rank * columns)
        let status = LAPACKE_dgesdd(
            LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "S")), Int32(rows), Int32(columns), &matrix, Int32(columns), &values, &left, Int32(rank), &right,
            Int32(columns))
        guard status == 0 else { throw ModelError(message: "the singular value decomposition did not converge (LAPACK dgesdd returned \(status))") }
        for c in 0..<rank {
            let row = right[c * columns..<(c + 1) * columns]
            let largest = row.indices.max { abs(right[$0]) < abs(right[$1]) }!
            if right[largest] < 0 { for j in row.indices { right[j] = -right[j] } }
        }
        return (values, right)
    }
}
