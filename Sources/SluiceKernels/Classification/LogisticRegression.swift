import CLinearAlgebra
import Foundation

/// L2-penalised logistic regression, the model scikit-learn's
/// `LogisticRegression(penalty="l2", C=C)` fits: the weights w and intercept b that minimise
/// ½‖w‖² + C·Σᵢ log(1 + exp(−ỹᵢ(xᵢ·w + b))), ỹ = ±1, the intercept not penalised. Solved to
/// the optimum by Newton's method (each step one Cholesky solve of the (p + 1)-square Hessian,
/// LAPACK `dposv`), stopping when the largest gradient entry is below 1e-10 × (1 + C·n).
public struct LogisticRegression: Sendable, Equatable {
    public var weights: [Double]
    public var intercept: Double
    public var iterations: Int

    /// Rows per rank-k update of the Hessian.
    static let blockRows = 4096

    /// Fits `x` (rows × p features, row-major) to `y` (a label per row of `x`) — all rows, or
    /// only those in `rows` (a fold's training rows, without copying them out).
    public init(x: [Double], y: [Bool], features p: Int, c: Double, rows: [Int]? = nil, maxIterations: Int = 100) throws {
        precondition(x.count == y.count * p)
        let n = rows?.count ?? y.count
        guard c > 0, c.isFinite else { throw ClassificationError(code: "classify.bad-c", "the inverse regularisation strength C must be positive and finite, not \(c)") }
        let used = rows.map { $0.map { y[$0] } } ?? y
        guard used.contains(true), used.contains(false) else { throw ClassificationError(code: "classify.one-class", "logistic regression needs samples of both classes") }
        let m = p + 1
        var beta = [Double](repeating: 0, count: m)  // weights, then the intercept
        var iterations = 0
        var converged = false
        let tolerance = 1e-10 * (1 + c * Double(n))
        var block = [Double](repeating: 0, count: min(n, Self.blockRows) * m)
        while iterations < maxIterations {
            iterations += 1
            var gradient = [Double](repeating: 0, count: m)
            var hessian = [Double](repeating: 0, count: m * m)
            for i in 0..<p {
                gradient[i] = beta[i]
                hessian[i * m + i] = 1
            }
            // The Hessian's data term Σ wᵢ·x̃ᵢx̃ᵢᵀ (x̃ = x with a 1 for the intercept) is a BLAS rank-k
            // update of blocks of rows scaled by √wᵢ; the gradient is a sum of scaled rows.
            var filled = 0
            for position in 0..<n {
                let row = rows?[position] ?? position
                let base = row * p
                var eta = beta[p]
                for j in 0..<p { eta += x[base + j] * beta[j] }
                let probability = 1 / (1 + exp(-eta))
                let residual = c * (probability - (y[row] ? 1 : 0))
                let root = (c * probability * (1 - probability)).squareRoot()
                for j in 0..<p { gradient[j] += residual * x[base + j] }
                gradient[p] += residual
                for j in 0..<p { block[filled * m + j] = root * x[base + j] }
                block[filled * m + p] = root
                filled += 1
                if filled == Self.blockRows || position == n - 1 {
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(m), Int32(filled), 1, block, Int32(m), 1, &hessian, Int32(m))
                    filled = 0
                }
            }
            if gradient.map(abs).max()! < tolerance {
                converged = true
                break
            }
            for j in 0..<m { for k in 0..<j { hessian[j * m + k] = hessian[k * m + j] } }
            var step = gradient
            let info = LAPACKE_dposv(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), Int32(m), 1, &hessian, Int32(m), &step, 1)
            guard info == 0 else { throw ClassificationError(code: "classify.newton", "the Newton step could not be solved (LAPACK dposv info \(info)); the classes may be separable: lower C") }
            for j in 0..<m { beta[j] -= step[j] }
        }
        guard converged else {
            throw ClassificationError(
                code: "classify.no-convergence", "Newton's method did not converge in \(maxIterations) steps; the classes may be separable: lower C")
        }
        weights = Array(beta[0..<p])
        intercept = beta[p]
        self.iterations = iterations
    }

    /// P(class true) of each row of `x` (n × p, row-major), or of the rows in `rows`.
    public func probabilities(_ x: [Double], rows: [Int]? = nil) -> [Double] {
        let p = weights.count
        let bases = rows.map { $0.map { $0 * p } } ?? Array(stride(from: 0, to: x.count, by: max(1, p)))
        return bases.map { base in
            var eta = intercept
            for j in 0..<p { eta += x[base + j] * weights[j] }
            return 1 / (1 + exp(-eta))
        }
    }
}
