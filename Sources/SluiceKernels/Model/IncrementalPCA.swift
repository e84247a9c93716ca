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
        let rank = min(height, features)
        let keep = min(components, rank)
        let (values, vectors) = try Self.leadingSingularVectors(stacked, rows: height, columns: features, keep: keep)
        let sumOfVariance = variance.reduce(0, +) * Double(total)
        singularValues = values
        componentVectors = vectors
        explainedVariance = values.map { $0 * $0 / Double(total - 1) }
        explainedVarianceRatio = values.map { $0 * $0 / sumOfVariance }
        // The variance left out: every singular value's square sums to the matrix's squared norm.
        let leftOut = max(0, stacked.reduce(0) { $0 + $1 * $1 } - values.reduce(0) { $0 + $1 * $1 })
        noiseVariance = keep < min(features, total) && rank > keep ? leftOut / Double(total - 1) / Double(rank - keep) : 0
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

    /// The `keep` largest singular values (descending) of `matrix` (`rows × columns`, row-major)
    /// and their right singular vectors (row-major, one per value), each vector's sign set so that
    /// its largest-magnitude entry is positive (scikit-learn's `svd_flip`,
    /// `u_based_decision=False`).
    ///
    /// They come from the top eigenpairs of the smaller Gram matrix (`MᵀM`, or `MMᵀ` and then
    /// `v = Mᵀu / σ`): a rank-k update of a batch needs a few leading vectors, and a symmetric
    /// product plus a partial eigensolver costs a fifth of a full SVD with both sets of vectors.
    /// Squaring loses accuracy only for values far below the largest (the error of component i
    /// grows by σ₁ / 2σᵢ), so when a kept value is below 10⁻⁴ of the largest the full SVD
    /// (`dgesdd`) is used instead.
    static func leadingSingularVectors(_ matrix: [Double], rows: Int, columns: Int, keep: Int) throws -> (values: [Double], vectors: [Double]) {
        let side = min(rows, columns)
        precondition(keep > 0 && keep <= side, "between 1 and min(rows, columns) singular vectors are kept")
        let wide = columns > rows
        var gram = [Double](repeating: 0, count: side * side)
        cblas_dsyrk(CblasRowMajor, CblasUpper, wide ? CblasNoTrans : CblasTrans, Int32(side), Int32(wide ? columns : rows), 1, matrix, Int32(columns), 0, &gram, Int32(side))
        var eigenvalues = [Double](repeating: 0, count: side)
        var eigenvectors = [Double](repeating: 0, count: side * keep)
        var support = [Int32](repeating: 0, count: 2 * keep)
        var found: Int32 = 0
        let status = LAPACKE_dsyevr(
            LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "I")), Int8(UInt8(ascii: "U")), Int32(side), &gram, Int32(side), 0, 0,
            Int32(side - keep + 1), Int32(side), 0, &found, &eigenvalues, &eigenvectors, Int32(keep), &support)
        guard status == 0, found == Int32(keep) else { throw ModelError(message: "the eigendecomposition did not converge (LAPACK dsyevr returned \(status))") }
        // Ascending: the largest is last.
        let values = (0..<keep).map { max(0, eigenvalues[keep - 1 - $0]).squareRoot() }
        guard values[keep - 1] >= 1e-4 * values[0] else { return try fullSingularVectors(matrix, rows: rows, columns: columns, keep: keep) }
        var vectors = [Double](repeating: 0, count: keep * columns)
        if wide {
            // v = Mᵀu / σ, all at once: (Uᵀ M) row by row.
            var projected = [Double](repeating: 0, count: keep * columns)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(keep), Int32(columns), Int32(rows), 1, eigenvectors, Int32(keep), matrix, Int32(columns), 0, &projected, Int32(columns))
            for c in 0..<keep {
                let from = (keep - 1 - c) * columns
                for j in 0..<columns { vectors[c * columns + j] = projected[from + j] / values[c] }
            }
        } else {
            for c in 0..<keep { for j in 0..<columns { vectors[c * columns + j] = eigenvectors[j * keep + keep - 1 - c] } }
        }
        flipSigns(&vectors, count: keep, columns: columns)
        return (values, vectors)
    }

    /// ``leadingSingularVectors(_:rows:columns:keep:)`` by a full SVD (`dgesdd`).
    static func fullSingularVectors(_ matrix: [Double], rows: Int, columns: Int, keep: Int) throws -> (values: [Double], vectors: [Double]) {
        let rank = min(rows, columns)
        var values = [Double](repeating: 0, count: rank)
        var left = [Double](repeating: 0, count: rows * rank)
        var right = [Double](repeating: 0, count: rank * columns)
        var copy = matrix
        let status = LAPACKE_dgesdd(
            LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "S")), Int32(rows), Int32(columns), &copy, Int32(columns), &values, &left, Int32(rank), &right,
            Int32(columns))
        guard status == 0 else { throw ModelError(message: "the singular value decomposition did not converge (LAPACK dgesdd returned \(status))") }
        var vectors = Array(right[0..<keep * columns])
        flipSigns(&vectors, count: keep, columns: columns)
        return (Array(values[0..<keep]), vectors)
    }

    /// scikit-learn's `svd_flip` on right singular vectors: each row's largest-magnitude entry positive.
    static func flipSigns(_ vectors: inout [Double], count: Int, columns: Int) {
        for c in 0..<count {
            let row = vectors[c * columns..<(c + 1) * columns]
            let largest = row.indices.max { abs(vectors[$0]) < abs(vectors[$1]) }!
            if vectors[largest] < 0 { for j in row.indices { vectors[j] = -vectors[j] } }
        }
    }
}
