import Foundation
import SluiceFormats
import SluicePipelines
import SluiceTestSupport
import Testing

/// The corpus builder ranks counts: it finds them where files as users have them keep them, and
/// refuses values that are no counts with one sentence instead of a crash or silent loss.
@Suite("Preprocess count values")
struct CountValueTests {
    /// A synthetic h5ad whose stored value number `position` (in cell 7) is replaced by `value`.
    static func dataset(_ path: String, value: Float?) throws {
        let generator = SyntheticCounts(cells: 60, genes: 40, density: 0.3, seed: 3)
        let writer = try H5ADWriter(path: path, genes: generator.geneFrame(), cellSchema: SyntheticCounts.cellSchema)
        var batch = generator.batch(0..<60)
        if let value {
            let k = Int(batch.matrix.offsets[7]) + 1
            batch.matrix.values[k] = value
        }
        try writer.append(batch)
        try writer.close()
    }

    static func run(_ input: String, _ root: String, configure: (inout PreprocessOptions) -> Void = { _ in }) -> PreprocessOutcome {
        var options = PreprocessRunTests.options(root)
        configure(&options)
        return PreprocessRun(datasets: PreprocessDataset.datasets([input]), options: options).run()[0]
    }

    @Test(
        "negative, NaN and infinite values fail the dataset naming cell and gene",
        arguments: [
            Float(-3), .nan, .infinity, -.infinity,
        ])
    func invalidValues(_ value: Float) throws {
        let scratch = try TemporaryDirectory()
        let input = scratch.file("bad.h5ad")
        try Self.dataset(input, value: value)
        let outcome = Self.run(input, scratch.path)
        #expect(!outcome.succeeded)
        #expect(outcome.errorCode == "invalid-value")
        let reason = try #require(outcome.reason)
        #expect(reason.contains("bad.h5ad") && reason.contains("cell 7 (") && reason.contains("for gene 'ENSG"), "\(reason)")
        #expect(reason.contains("never negative, NaN or infinite"))
        #expect(!reason.contains("\n"))
        // Allowing non-counts does not let these through.
        let allowed = Self.run(input, scratch.file("allowed")) { $0.convert.allowsNonCounts = true }
        #expect(allowed.errorCode == "invalid-value")
    }

    @Test("a value with a fraction is refused unless non-counts are allowed, and then counted")
    func fractionalValues() throws {
        let scratch = try TemporaryDirectory()
        let input = scratch.file("fraction.h5ad")
        try Self.dataset(input, value: 2.5)
        let refused = Self.run(input, scratch.file("refused"))
        #expect(refused.errorCode == "invalid-value")
        #expect(refused.reason?.contains("value 2.5") == true && refused.reason?.contains("--allow-non-counts") == true, "\(refused.reason ?? "")")
        let allowed = Self.run(input, scratch.file("allowed")) { $0.convert.allowsNonCounts = true }
        #expect(allowed.succeeded, "\(allowed.reason ?? "")")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.file("allowed/output/fraction/report.json"))))
        let convert = (report as? [String: Any])?["convert"] as? [String: Any]
        #expect(convert?["nonIntegerValues"] as? Int == 1, "\(String(describing: convert))")
    }

    @Test("CELLxGENE's layout: a normalized X is skipped for the counts in raw/X, as a layer of counts gives")
    func countsFromRaw() throws {
        let scratch = try TemporaryDirectory()
        let input = Fixtures.path("raw_and_layers.h5ad")
        let auto = Self.run(input, scratch.file("auto"))
        #expect(auto.succeeded, "\(auto.reason ?? "")")
        let layer = Self.run(input, scratch.file("layer")) { $0.matrix = "layers/counts" }
        #expect(layer.succeeded, "\(layer.reason ?? "")")
        let shards = { (root: String) in PreprocessRunTests.files(root + "/output/raw_and_layers").filter { $0.key.hasSuffix(".parquet") } }
        #expect(!shards(scratch.file("auto")).isEmpty)
        #expect(shards(scratch.file("auto")) == shards(scratch.file("layer")))
        let report = try String(contentsOfFile: scratch.file("auto/output/raw_and_layers/report.json"), encoding: .utf8)
        #expect(report.contains("the counts in raw/X, as X is not integer-valued"), "\(report)")
        let log = try String(contentsOfFile: scratch.file("auto/logs/raw_and_layers/pipeline.log"), encoding: .utf8)
        #expect(log.contains("ranking the counts in raw/X"))
        // Asked for X, the normalized values are refused with a sentence that says what to do.
        let x = Self.run(input, scratch.file("x")) { $0.matrix = "X" }
        #expect(x.errorCode == "invalid-value")
        #expect(x.reason?.contains("--matrix") == true)
    }

    @Test("the choice of matrix: X when it holds whole numbers, raw when only it does")
    func choice() throws {
        #expect(try CountMatrixChoice.choose(Fixtures.path("raw_and_layers.h5ad"), requested: nil).matrix == "raw")
        #expect(try CountMatrixChoice.choose(Fixtures.path("csr.h5ad"), requested: nil).matrix == "X")
        #expect(try CountMatrixChoice.choose(Fixtures.path("raw_and_layers.h5ad"), requested: "layers/counts").matrix == "layers/counts")
        #expect(try CountMatrixChoice.choose(Fixtures.path("tenx_v3.h5"), requested: nil).matrix == nil)
    }

    @Test(
        "the branch-free whole-number test agrees with rounding",
        arguments: [
            Float(0), 1, 2.5, 0.5, .leastNonzeroMagnitude, 0.1, 3, 8_388_607.5, 8_388_608, 8_388_609, 1e10, 4_294_967_296, .greatestFiniteMagnitude,
        ])
    func wholeBit(_ value: Float) {
        #expect((value.wholeBit == 1) == (value == value.rounded(.towardZero)))
        #expect(value.nonNegativeFiniteBit == 1)
        #expect((-value - 1).nonNegativeFiniteBit == 0)
    }

    @Test("NaN and infinities are no counts")
    func nonFinite() {
        #expect(Float.nan.nonNegativeFiniteBit == 0)
        #expect(Float.infinity.nonNegativeFiniteBit == 0)
        #expect((-Float.infinity).nonNegativeFiniteBit == 0)
    }

    @Test("repeated gene ids are summed into one token, counted in the report and logged")
    func duplicateGeneIDs() throws {
        let scratch = try TemporaryDirectory()
        let input = scratch.file("dup.h5ad")
        let generator = SyntheticCounts(cells: 60, genes: 40, density: 0.3, seed: 3)
        var genes = generator.geneFrame()
        genes.index[21] = genes.index[20]
        let writer = try H5ADWriter(path: input, genes: genes, cellSchema: SyntheticCounts.cellSchema)
        try writer.append(generator.batch(0..<60))
        try writer.close()
        let outcome = Self.run(input, scratch.path)
        #expect(outcome.succeeded, "\(outcome.reason ?? "")")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.file("output/dup/report.json")))) as? [String: Any]
        #expect(report?["duplicateGeneIDs"] as? Int == 1)
        let log = try String(contentsOfFile: scratch.file("logs/dup/pipeline.log"), encoding: .utf8)
        #expect(log.contains("1 genes repeat a gene id seen before them"))
    }
}
