import Foundation
import SluiceEngine
import SluiceFormats
import SluiceLoopback
import SluicePipelines
import SluiceTestSupport
import Testing

/// A pipeline from a CELLxGENE Discover query (a loopback API) through preprocess to a corpus
/// and to the Hugging Face Hub (a loopback Hub), under a raw/ quota smaller than the datasets:
/// `sluice plan` sees the sizes before a byte is fetched, the corpus manifest and the dataset
/// cards say where each dataset came from, and a refused upload fails only its item.
@Suite struct CellxgenePipelineTests {
    @Test func aQueryRunsThroughPreprocessToACorpusUnderASmallBudget() async throws {
        let folder = try TemporaryDirectory("sluice-cellxgene")
        let served = folder.file("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        var sizes: [String: Int64] = [:]
        for k in 0..<4 {
            let ids = (0..<60).map { String(format: "ENSG%011d", $0 + 1) }
            let genes = Frame(index: ids.map { "sym-" + $0 }, columns: [FrameColumn(name: "gene_ids", values: .strings(ids))])
            let writer = try H5ADWriter(path: served + "/ds\(k).h5ad", genes: genes, cellSchema: SyntheticCounts.cellSchema)
            try writer.append(SyntheticCounts(cells: 400, genes: 60, density: 0.2, seed: UInt64(40 + k)).batch(0..<400))
            try writer.close()
            sizes["ds\(k)"] = DiskUsage.contentBytes(at: served + "/ds\(k).h5ad")
        }
        let server = try await LoopbackServer.start(root: served)
        let hub = try await TestHub.start(store: folder.file("hub"))
        defer { Task { await hub.stop() } }
        try hub.token.write(toFile: folder.file("hf-token"), atomically: true, encoding: .utf8)
        // The Hub refuses ds1's first commit: that item's publish fails, the others go on.
        try await hub.fault("/api/datasets/lab/atlas-ds1/commit/", status: 422, error: "Your push was rejected: quota exceeded")
        let datasets = (0..<4).map { k in
            DiscoverFixture.Dataset(
                id: "ds\(k)", version: "ds\(k)-v1", collection: "c1", title: "Dataset \(k)", cells: 400, organism: k == 3 ? "Mus musculus" : "Homo sapiens",
                tissue: "blood", disease: "COVID-19", url: server.url("ds\(k).h5ad"), bytes: sizes["ds\(k)"]!)
        }
        try DiscoverFixture(datasets: datasets).write(into: served)
        let largest = sizes.values.map(DiskUsage.allocation(forLength:)).max()!
        let human = ["ds0", "ds1", "ds2"]
        let rawQuota = 2 * largest + 48 * 1024
        #expect(rawQuota < human.map { sizes[$0]! }.reduce(0, +))
        let yaml = """
            workspace: ./work
            budget: {total: 200MB, areas: {raw: \(rawQuota)}}
            items:
              - cellxgene: {api: "\(server.url("").dropLast())", organism: Homo sapiens, tissue: blood, min_cells: 100}
            stages:
              - fetch: {}
              - preprocess: {chunk_size: 64, top_genes: 16, test_size: 0.2}
              - corpus: {}
              - publish: {from: preprocess, repo_id: lab/atlas, endpoint: "\(hub.endpoint)", token_file: hf-token, license: cc-by-4.0}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)

        let plan = try await SluiceBinary.run(["plan", "p.yaml"], in: folder.path)
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.standardOutput.contains("cellxgene (line 4): 3 datasets") && plan.standardOutput.contains("3 items"), "\(plan)")
        #expect(server.requestCount("/curation/v1/datasets") == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.file("work/raw")), "plan fetched something")

        let outcome = try await SluiceBinary.run(["run", "p.yaml"], in: folder.path)
        #expect(outcome.status == 3, "\(outcome)")
        let status = try await SluiceBinary.run(["status", "p.yaml"], in: folder.path)
        #expect(status.standardOutput.contains("quota exceeded") && status.standardOutput.contains("hub.rejected"), "\(status)")
        #expect(!status.standardOutput.contains(hub.token))
        #expect(try await hub.paths(in: "lab/atlas-ds1").filter { $0.hasSuffix(".parquet") }.isEmpty)
        let retried = try await SluiceBinary.run(["retry", "p.yaml", "--failed"], in: folder.path)
        #expect(retried.status == 0, "\(retried)")
        let resumed = try await SluiceBinary.run(["run", "p.yaml"], in: folder.path)
        #expect(resumed.status == 0, "\(resumed)")
        for dataset in human {
            let paths = try await hub.paths(in: "lab/atlas-\(dataset)")
            #expect(paths.contains("train/chunks/chunk_0000.parquet") && paths.contains("manifest.json"), "\(dataset): \(paths)")
            let card = String(decoding: try await hub.file("README.md", in: "lab/atlas-\(dataset)") ?? Data(), as: UTF8.self)
            #expect(card.contains("pretty_name: \"Dataset \(dataset.dropFirst(2))\"") && card.contains("- **tissue**: blood"), "\(card)")
            #expect(card.contains("source_datasets:\n- \"collection_id: c1\"\n- \"dataset_id: \(dataset)\"\n- \"dataset_version_id: \(dataset)-v1\""), "\(card)")
        }
        #expect(try await hub.paths(in: "lab/atlas-ds3").isEmpty)
        let logs = try FileManager.default.subpathsOfDirectory(atPath: folder.file("work/logs")).compactMap {
            try? String(contentsOfFile: folder.file("work/logs/\($0)"), encoding: .utf8)
        }
        #expect(!logs.isEmpty && !logs.contains { $0.contains(hub.token) }, "the token was logged")
        #expect((outcome.standardOutput + outcome.standardError).contains("kept in the ledger"), "\(outcome)")
        #expect(server.requestCount("/curation/v1/datasets") == 2)
        let manifest = try JSONDecoder().decode(CorpusManifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("work/output/corpus/manifest.json"))))
        #expect(manifest.datasets?.sorted() == human)
        #expect(manifest.sources?["ds1"]?["title"] == "Dataset 1" && manifest.sources?["ds1"]?["dataset_version_id"] == "ds1-v1", "\(manifest.sources ?? [:])")
        let own = try JSONDecoder().decode(CorpusManifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("work/output/ds2/manifest.json"))))
        #expect(own.source?["organism"] == "Homo sapiens" && own.source?["cell_count"] == "400")
        // The budget held: raw/ never above its quota in the samples the run took.
        let ledger = try SQLiteLedger(path: folder.file("work/sluice.db"))
        let raw = try await ledger.samples(since: 0).filter { $0.area == "raw" }
        #expect(!raw.isEmpty && raw.allSatisfy { $0.committed + $0.reserved <= rawQuota })

        // A rerun asks nothing.
        let again = try await SluiceBinary.run(["run", "p.yaml"], in: folder.path)
        #expect(again.status == 0 && (again.standardOutput + again.standardError).contains("as resolved"), "\(again)")
        #expect(server.requestCount("/curation/v1/datasets") == 2)
        try await server.shutdown()
    }
}
