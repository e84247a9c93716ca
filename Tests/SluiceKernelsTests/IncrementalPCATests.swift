import Foundation
import SluiceFormats
import SluiceKernels
import SluiceTestSupport
import Testing

/// Batches of correlated samples (a few latent factors plus noise), reproducible from `seed`.
func latentBatches(_ sizes: [Int], features: Int, seed: UInt64) -> [[Double]] {
    var random = SeededGenerator(seed: seed)
    func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) - 0.5 }
    let loadings = (0..<3 * features).map { _ in uniform() * 4 }
    return sizes.enumerated().map { number, rows in
        (0..<rows).flatMap { _ -> [Double] in
            let factors = (0..<3).map { _ in uniform() * 3 }
            return (0..<features).map { j in
                Double(number) * 0.3 + (0..<3).reduce(0) { $0 + factors[$1] * loadings[$1 * features + j] } + uniform() * 0.2
            }
        }
    }
}

/// The incremental PCA's promises that need no reference tool: the running mean and variance
/// equal those of all samples at once, the components are orthonormal and hold the data's
/// latent factors, and a batch with fewer samples than components is refused in one sentence.
@Suite struct IncrementalPCATests {
    @Test func theRunningMomentsAreThoseOfAllSamples() throws {
        let features = 6
        let batches = latentBatches([20, 7, 33], features: features, seed: 3)
        var model = IncrementalPCA(components: 3, features: features)
        for batch in batches { try model.partialFit(batch, rows: batch.count / features) }
        let all = Array(batches.joined())
        let rows = all.count / features
        #expect(model.samplesSeen == rows)
        for j in 0..<features {
            let column = (0..<rows).map { all[$0 * features + j] }
            let mean = column.reduce(0, +) / Double(rows)
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows)
            #expect(abs(model.mean[j] - mean) <= 1e-12 * max(1, abs(mean)))
            #expect(abs(model.variance[j] - variance) <= 1e-10 * variance)
        }
        // Components are orthonormal, and most of the variance is in three latent factors.
        for a in 0..<3 {
            for b in 0..<3 {
                let dot = (0..<features).reduce(0.0) { $0 + model.componentVectors[a * features + $1] * model.componentVectors[b * features + $1] }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-9)
            }
        }
        #expect(model.explainedVarianceRatio.reduce(0, +) > 0.95)
    }

    @Test func aBatchSmallerThanTheComponentsIsRefused() {
        var model = IncrementalPCA(components: 4, features: 5)
        let error = #expect(throws: ModelError.self) { try model.partialFit(Array(repeating: 1, count: 10), rows: 2) }
        #expect(error?.message.contains("at least as many") == true)
    }
}

/// Equal to scikit-learn's `IncrementalPCA` fed the same batches in the same order: after every
/// batch the mean, variance, explained variance (and ratio), singular values and noise variance
/// to 1e-6 relative, and the components' subspace (each component ±1 in its dot product with
/// scikit-learn's, signs fixed by the same rule). Runs when `SLUICE_PYTHON` names a Python with
/// scikit-learn (scripts/crosscheck/check-ipca.sh, in `make test`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SLUICE_PYTHON"] != nil, "set SLUICE_PYTHON to cross-check with scikit-learn"))
struct IncrementalPCACrossCheckTests {
    struct State: Decodable {
        var samples: Int
        var mean: [Double]
        var variance: [Double]
        var components: [Double]
        var singular_values: [Double]
        var explained_variance: [Double]
        var explained_variance_ratio: [Double]
        var noise_variance: Double
    }

    @Test(arguments: [(features: 8, components: 3, sizes: [12, 5, 40, 9]), (features: 30, components: 10, sizes: [64, 64, 17, 200, 11])])
    func equalsScikitLearnBatchByBatch(features: Int, components: Int, sizes: [Int]) throws {
        let folder = try TemporaryDirectory()
        let batches = latentBatches(sizes, features: features, seed: UInt64(features))
        let rows = zip(batches, sizes).map { batch, n in (0..<n).map { Array(batch[$0 * features..<($0 + 1) * features]) } }
        try JSONSerialization.data(withJSONObject: ["components": components, "batches": rows]).write(to: URL(fileURLWithPath: folder.file("in.json")))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SLUICE_PYTHON"]!)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/crosscheck/ipca_check.py").path
        process.arguments = [script, folder.file("in.json"), folder.file("out.json")]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let expected = try JSONDecoder().decode([State].self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("out.json"))))
        var model = IncrementalPCA(components: components, features: features)
        func close(_ a: [Double], _ b: [Double], _ what: String, batch: Int) {
            #expect(a.count == b.count, "\(what) after batch \(batch)")
            let scale = max(b.map(abs).max() ?? 1, 1e-300)
            for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-6 * max(abs(y), 1e-3 * scale), "\(what) after batch \(batch): \(x) vs \(y)") }
        }
        for (number, batch) in batches.enumerated() {
            try model.partialFit(batch, rows: sizes[number])
            let reference = expected[number]
            #expect(model.samplesSeen == reference.samples)
            close(model.mean, reference.mean, "mean", batch: number)
            close(model.variance, reference.variance, "variance", batch: number)
            close(model.singularValues, reference.singular_values, "singular values", batch: number)
            close(model.explainedVariance, reference.explained_variance, "explained variance", batch: number)
            close(model.explainedVarianceRatio, reference.explained_variance_ratio, "explained variance ratio", batch: number)
            close([model.noiseVariance], [reference.noise_variance], "noise variance", batch: number)
            for c in 0..<model.singularValues.count {
                let dot = (0..<features).reduce(0.0) { $0 + model.componentVectors[c * features + $1] * reference.components[c * features + $1] }
                #expect(abs(dot - 1) < 1e-6, "component \(c) after batch \(number): dot product \(dot) with scikit-learn's")
            }
        }
    }
}
