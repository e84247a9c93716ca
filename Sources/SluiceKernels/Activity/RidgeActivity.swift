import CLinearAlgebra
import Foundation
import SluiceFormats

/// SecAct / CytoSig signature activity: ridge regression of expression on signatures without an
/// intercept, `β = (XᵀX + λI)⁻¹Xᵀ·Y`, with significance from a permutation test (gene rows of Y
/// shuffled with SecAct's cumulative shuffle) or, with no permutations, an analytic t-test —
/// the computation of SecActpy's `ridge()` (numpy backend), step for step.
///
/// Inputs are already prepared (intersected genes, z-scored columns). The projection
/// `T = (XᵀX + λI)⁻¹Xᵀ` is computed once (Cholesky), so samples can be streamed in batches.
public struct RidgeActivity: Sendable {
    /// How significance is computed.
    public enum Test: Sendable, Equatable {
        /// `count` permutations from glibc `srand(seed)`/`rand()` (SecActpy's default) …
        case permutationGlibc(count: Int, seed: UInt32)
        /// … or from GSL's MT19937 (current R SecAct).
        case permutationMT19937(count: Int, seed: UInt32)
        /// Student t with `genes − signatures` degrees of freedom (`n_rand = 0`).
        case tTest
    }

    /// Number of genes (rows of X and of Y).
    public let genes: Int
    /// Number of signatures (columns of X).
    public let signatures: Int
    /// The signature matrix X, genes × signatures, row-major.
    private let x: [Double]
    /// T, signatures × genes, row-major.
    private let projection: [Double]
    /// diag((XᵀX + λI)⁻¹), for the t-test.
    private let inverseDiagonal: [Double]

    static let epsilon = 1e-12

    /// - Parameter x: genes × signatures, row-major (already z-scored per column).
    public init(x: [Double], genes: Int, signatures: Int, lambda: Double) throws {
        precondition(x.count == genes * signatures)
        guard lambda.isFinite, lambda >= 0 else {
            throw ActivityError(code: "activity.bad-lambda", "the ridge penalty must be a finite number ≥ 0, not \(lambda)")
        }
        self.genes = genes
        self.signatures = signatures
        self.x = x
        let p = Int32(signatures)
        var gram = [Double](repeating: 0, count: signatures * signatures)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, p, p, Int32(genes), 1, x, p, x, p, 0, &gram, p)
        for i in 0..<signatures { gram[i * signatures + i] += lambda }
        var inverse = [Double](repeating: 0, count: signatures * signatures)
        for i in 0..<signatures { inverse[i * signatures + i] = 1 }
        let factor = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), p, &gram, p)
        guard factor == 0 else {
            throw ActivityError(
                code: "activity.not-positive-definite",
                "XᵀX + λI is not positive definite (LAPACK dpotrf info \(factor)); use a larger --lambda")
        }
        let solve = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "L")), p, p, gram, p, &inverse, p)
        guard solve == 0 else { throw ActivityError(code: "activity.solve", "solving with the Cholesky factor failed (LAPACK dpotrs info \(solve))") }
        var t = [Double](repeating: 0, count: signatures * genes)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, p, Int32(genes), p, 1, inverse, p, x, p, 0, &t, Int32(genes))
        projection = t
        inverseDiagonal = (0..<signatures).map { inverse[$0 * signatures + $0] }
    }

    /// Activity of `samples` columns of Y (genes × samples, row-major, prepared like X).
    public func run(y: [Double], samples: Int, test: Test) -> ActivityResult {
        precondition(y.count == genes * samples)
        var result = ActivityResult(signatures: signatures, samples: samples)
        guard samples > 0 else { return result }
        result.beta = product(y, samples: samples)
        switch test {
        case .permutationGlibc(let count, let seed):
            permutationTest(y, samples: samples, count: count, shuffle: CumulativeShuffle(count: genes, random: GlibcRandom(seed: seed)), into: &result)
        case .permutationMT19937(let count, let seed):
            permutationTest(y, samples: samples, count: count, shuffle: CumulativeShuffle(count: genes, random: MersenneTwister(seed: seed)), into: &result)
        case .tTest:
            tTest(y, samples: samples, into: &result)
        }
        return result
    }

    /// T·Y.
    private func product(_ y: [Double], samples: Int) -> [Double] {
        var beta = [Double](repeating: 0, count: signatures * samples)
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(signatures), Int32(samples), Int32(genes),
            1, projection, Int32(genes), y, Int32(samples), 0, &beta, Int32(samples))
        return beta
    }

    private func permutationTest<Random>(_ y: [Double], samples: Int, count: Int, shuffle: CumulativeShuffle<Random>, into result: inout ActivityResult) {
        var shuffle = shuffle
        let cells = signatures * samples
        var sum = [Double](repeating: 0, count: cells)
        var sumOfSquares = [Double](repeating: 0, count: cells)
        var exceed = [Double](repeating: 0, count: cells)
        let absolute = result.beta.map(abs)
        // T·Y[perm, :] equals T[:, perm⁻¹]·Y: permute whichever operand is smaller (SecActpy picks
        // the same way), and let several permutations share one matrix product so that the
        // larger operand is read once per block rather than once per permutation.
        let permuteRows = samples < signatures
        // Blocks of about 2,048 rows (or columns) keep BLAS near its peak (measured on 2 Zen
        // cores: 215 rows 49 GFLOPS, 1,720 rows 73), within 256 MiB of permuted copies.
        let copyBytes = max(1, genes * (permuteRows ? samples : signatures) * MemoryLayout<Double>.size)
        let block = max(1, min(count, 2_048 / max(1, permuteRows ? samples : signatures), (256 << 20) / copyBytes))
        var scratch = [Double](repeating: 0, count: permuteRows ? genes * block * samples : block * signatures * genes)
        var beta = [Double](repeating: 0, count: block * cells)
        var orders = [Int32](repeating: 0, count: block * genes)
        let workers = ParallelFor.cores
        // Each thread sums the cells of its own signatures, every permutation in order.
        let signatureParts = ParallelFor.split(signatures, parts: workers)
        var done = 0
        while done < count {
            let size = min(block, count - done)
            for slot in 0..<size {
                let order = shuffle.next()
                orders.replaceSubrange(slot * genes..<(slot + 1) * genes, with: order)
            }
            // The permuted copies, a few permutations per thread.
            orders.withUnsafeBufferPointer { orders in
                scratch.withUnsafeMutableBufferPointer { target in
                    let (orders, target) = (SharedPointer(reading: orders), SharedPointer(target))
                    if permuteRows {
                        // Row g of the copy is row order[g] of Y; permutations side by side.
                        y.withUnsafeBufferPointer { source in
                            let source = SharedPointer(reading: source)
                            ParallelFor.run(size, parts: workers) { _, slots in
                                let width = size * samples
                                for slot in slots {
                                    for gene in 0..<genes {
                                        let from = Int(orders[slot * genes + gene]) * samples
                                        let to = gene * width + slot * samples
                                        for column in 0..<samples { target[to + column] = source[from + column] }
                                    }
                                }
                            }
                        }
                    } else {
                        // Column h of the copy is column perm⁻¹[h] of T; permutations stacked.
                        projection.withUnsafeBufferPointer { source in
                            let source = SharedPointer(reading: source)
                            ParallelFor.run(size, parts: workers) { _, slots in
                                var inverse = [Int](repeating: 0, count: genes)
                                for slot in slots {
                                    for position in 0..<genes { inverse[Int(orders[slot * genes + position])] = position }
                                    for signature in 0..<signatures {
                                        let from = signature * genes
                                        let to = (slot * signatures + signature) * genes
                                        for gene in 0..<genes { target[to + gene] = source[from + inverse[gene]] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if permuteRows {
                let width = size * samples
                cblas_dgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(signatures), Int32(width), Int32(genes),
                    1, projection, Int32(genes), scratch, Int32(width), 0, &beta, Int32(width))
            } else {
                cblas_dgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(size * signatures), Int32(samples), Int32(genes),
                    1, scratch, Int32(genes), y, Int32(samples), 0, &beta, Int32(samples))
            }
            // Accumulated in permutation order, as SecActpy does.
            Self.accumulate(
                beta, permutations: size, signatures: signatureParts, samples: samples, stackedBySignature: permuteRows,
                sum: &sum, sumOfSquares: &sumOfSquares, exceed: &exceed, absolute: absolute)
            done += size
        }
        let n = Double(count)
        for k in 0..<cells {
            let mean = sum[k] / n
            let variance = sumOfSquares[k] / n - mean * mean
            let se = max(variance, 0).squareRoot()
            result.se[k] = se
            result.zscore[k] = se > Self.epsilon ? (result.beta[k] - mean) / se : 0
            result.pvalue[k] = (exceed[k] + 1) / (n + 1)
        }
    }

    /// Adds a block of permuted betas to the running sums of every cell (signature × sample),
    /// permutation after permutation, and counts those at least as large in magnitude as the
    /// observed ones. `stackedBySignature`: beta is signatures × (permutations × samples);
    /// otherwise (permutations × signatures) × samples. Each part of the signatures is summed
    /// on its own thread.
    private static func accumulate(
        _ beta: [Double], permutations: Int, signatures: [Range<Int>], samples: Int, stackedBySignature: Bool,
        sum: inout [Double], sumOfSquares: inout [Double], exceed: inout [Double], absolute: [Double]
    ) {
        let cells = (signatures.last?.upperBound ?? 0) * samples
        beta.withUnsafeBufferPointer { beta in
            absolute.withUnsafeBufferPointer { absolute in
                sum.withUnsafeMutableBufferPointer { sum in
                    sumOfSquares.withUnsafeMutableBufferPointer { sumOfSquares in
                        exceed.withUnsafeMutableBufferPointer { exceed in
                            let (beta, absolute) = (SharedPointer(reading: beta), SharedPointer(reading: absolute))
                            let (sum, sumOfSquares, exceed) = (SharedPointer(sum), SharedPointer(sumOfSquares), SharedPointer(exceed))
                            ParallelFor.run(parts: signatures.count) { index in
                                for slot in 0..<permutations {
                                    for signature in signatures[index] {
                                        let from = stackedBySignature ? (signature * permutations + slot) * samples : slot * cells + signature * samples
                                        let into = signature * samples
                                        for column in 0..<samples {
                                            let value = beta[from + column]
                                            let k = into + column
                                            sum[k] += value
                                            sumOfSquares[k] += value * value
                                            exceed[k] += abs(value) >= absolute[k] ? 1 : 0
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

    private func tTest(_ y: [Double], samples: Int, into result: inout ActivityResult) {
        // Residuals Y − X·β, their sum of squares per sample.
        var fitted = [Double](repeating: 0, count: genes * samples)
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(genes), Int32(samples), Int32(signatures),
            1, x, Int32(signatures), result.beta, Int32(samples), 0, &fitted, Int32(samples))
        var rss = [Double](repeating: 0, count: samples)
        for gene in 0..<genes {
            for column in 0..<samples {
                let residual = y[gene * samples + column] - fitted[gene * samples + column]
                rss[column] += residual * residual
            }
        }
        let freedom = Double(max(genes - signatures, 1))
        for signature in 0..<signatures {
            for column in 0..<samples {
                let k = signature * samples + column
                let se = (inverseDiagonal[signature] * rss[column] / freedom).squareRoot()
                let t = se > Self.epsilon ? result.beta[k] / se : 0
                result.se[k] = se
                result.zscore[k] = t
                result.pvalue[k] = min(1, max(0, 2 * StudentT.survival(abs(t), degreesOfFreedom: freedom)))
            }
        }
    }
}
