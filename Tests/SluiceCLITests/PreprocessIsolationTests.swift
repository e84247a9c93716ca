import Foundation
import SluiceFormats
import SluiceTestSupport
import Testing

/// Inside `sluice run`, the corpus builder runs in its own process: a file that crashes a reader
/// (libhdf5 segfaults on some damaged files) or holds values that are no counts fails its own
/// item, with the builder's sentence and code, and every other item is done.
@Suite("Preprocess stage isolation", .serialized)
struct PreprocessIsolationTests {
    @Test("a crashing file and a file of negative counts fail alone; the good one is done")
    func failuresStayWithTheirItem() async throws {
        let folder = try TemporaryDirectory("sluice-isolation")
        let input = folder.file("in")
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        try SyntheticCounts(cells: 300, genes: 80, density: 0.2, seed: 5).write(to: input + "/good.h5ad")
        // A byte-mutated csr.h5ad on which libhdf5 1.10 dereferences a bad global-heap pointer
        // while reading X's encoding-type attribute (found by fuzzing; crashes `sluice convert`).
        try FileManager.default.copyItem(atPath: Fixtures.path("bad_hdf5_heap_crash.h5ad"), toPath: input + "/crash.h5ad")
        let generator = SyntheticCounts(cells: 40, genes: 80, density: 0.2, seed: 6)
        let writer = try H5ADWriter(path: input + "/negative.h5ad", genes: generator.geneFrame(), cellSchema: SyntheticCounts.cellSchema)
        var batch = generator.batch(0..<40)
        batch.matrix.values[3] = -2
        try writer.append(batch)
        try writer.close()
        let yaml = """
            workspace: ./work
            budget: {total: 50MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - preprocess: {chunk_size: 100, top_genes: 32}
            """
        try yaml.write(toFile: folder.file("pipeline.yaml"), atomically: true, encoding: .utf8)
        let run = try await SluiceBinary.run(["run", "--quiet", folder.file("pipeline.yaml")], in: folder.path, timeout: 300)
        #expect(run.status == 3, "\(run.standardOutput)\n\(run.standardError)")
        let status = try await SluiceBinary.run(["status", "--json", folder.file("pipeline.yaml")], in: folder.path)
        struct Row: Decodable { var item: String; var stage: String; var state: String; var error: String?; var code: String? }
        let rows = try JSONDecoder().decode([Row].self, from: Data(status.standardOutput.utf8)).filter { $0.stage == "preprocess" }
        let byItem = Dictionary(uniqueKeysWithValues: rows.map { ($0.item, $0) })
        #expect(byItem["good"]?.state == "done")
        #expect(byItem["crash"]?.state == "failed")
        #expect(byItem["crash"]?.error?.contains("killed by signal") == true, "\(byItem["crash"]?.error ?? "")")
        #expect(byItem["negative"]?.state == "failed")
        #expect(byItem["negative"]?.code == "preprocess.invalid-value", "\(byItem["negative"].map { "\($0)" } ?? "")")
        #expect(byItem["negative"]?.error?.contains("has the value -2.0 for gene") == true, "\(byItem["negative"]?.error ?? "")")
        #expect(FileManager.default.fileExists(atPath: folder.file("work/output/good/report.json")))
        #expect(!FileManager.default.fileExists(atPath: folder.file("work/output/crash")))
    }
}
