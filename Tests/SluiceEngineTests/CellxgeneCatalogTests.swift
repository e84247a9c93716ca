import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

/// `cellxgene:` items, resolved through a loopback CELLxGENE Discover API: a query narrows the
/// datasets by metadata, cell count and number; items are pinned to the version the API gave and
/// carry their size and metadata; the list is kept in the ledger (a rerun does not ask again,
/// `refresh` does and says what changed); the service's 429s, 5xx and cut bodies are ridden out.
@Suite struct CellxgeneCatalogTests {
    /// Five datasets, newest first; the H5AD files are bytes of known size served beside the API.
    static func start() async throws -> (PipelineHarness, DiscoverFixture) {
        let sizes = ["d5": 310_000, "d1": 200_000, "d2": 150_000, "d3": 120_000, "d4": 90_000]
        let harness = try await PipelineHarness.start(
            files: Dictionary(uniqueKeysWithValues: sizes.map { ("\($0.key).h5ad", PipelineHarness.bytes($0.value, seed: UInt8($0.value / 10_000))) }),
            registry: .tests)
        func dataset(_ id: String, _ cells: Int, _ organism: String, _ tissue: String, _ disease: String, collection: String = "c1") -> DiscoverFixture.Dataset {
            DiscoverFixture.Dataset(
                id: id, version: "\(id)-v2", collection: collection, title: "Dataset \(id)", cells: cells, organism: organism, tissue: tissue,
                disease: disease, url: harness.server.url("\(id).h5ad"), bytes: Int64(sizes[id]!))
        }
        var old = dataset("d3", 4000, "Mus musculus", "blood", "normal", collection: "c2")
        old.version = "d3-v1"
        let fixture = DiscoverFixture(
            datasets: [
                dataset("d5", 8000, "Homo sapiens", "blood", "COVID-19"), dataset("d1", 3000, "Homo sapiens", "blood", "COVID-19"),
                dataset("d2", 5000, "Homo sapiens", "lung", "COVID-19"), dataset("d3", 4000, "Mus musculus", "blood", "normal", collection: "c2"),
                dataset("d4", 500, "Homo sapiens", "blood", "COVID-19"),
            ],
            earlierVersions: ["d3": [old]])
        try fixture.write(into: harness.served)
        return (harness, fixture)
    }

    static func yaml(_ entry: String, budget: String = "{total: 8MB}") -> String {
        """
        workspace: ./work
        budget: \(budget)
        items:
          - cellxgene: \(entry)
        stages:
          - fetch: {}
          - copy: {}
        """
    }

    /// The items `entry` resolves to, asking the loopback API.
    static func resolve(_ harness: PipelineHarness, _ entry: String) async throws -> [ItemSpec] {
        let config = try harness.load(try harness.pipeline(yaml(entry), name: "resolve.yaml"))
        #expect(config.items.isEmpty && config.catalogs.count == 1)
        return try await ItemResolver(ledger: nil).resolve(config).items
    }

    @Test func aQueryResolvesToPinnedItemsWithTheirSizesAndMetadata() async throws {
        let (harness, _) = try await Self.start()
        let api = harness.server.url("").dropLast()
        // Labels match whatever their case, ontology ids as given; every field must match.
        let query = "{api: \"\(api)\", organism: homo sapiens, tissue: UBERON:0000178, disease: [COVID-19, influenza], min_cells: 1000, group_by: organism}"
        let items = try await Self.resolve(harness, query)
        #expect(items.map(\.name) == ["d5", "d1"])
        #expect(items.map(\.size) == [310_000, 200_000])
        #expect(items.map(\.sources) == [[harness.server.url("d5.h5ad")], [harness.server.url("d1.h5ad")]])
        let metadata = try #require(items.first?.metadata)
        #expect(metadata["dataset_version_id"] == "d5-v2" && metadata["title"] == "Dataset d5" && metadata["cell_count"] == "8000")
        #expect(metadata["organism"] == "Homo sapiens" && metadata["tissue"] == "blood" && metadata["disease"] == "COVID-19" && metadata["assay"] == "10x 3' v3")
        #expect(items.map(\.group) == ["Homo_sapiens", "Homo_sapiens"])
        // max_datasets keeps the first in the API's order.
        #expect(try await Self.resolve(harness, "{api: \"\(api)\", disease: COVID-19, max_datasets: 2}").map(\.name) == ["d5", "d1"])
        // A collection's datasets; named datasets at their newest version.
        #expect(try await Self.resolve(harness, "{api: \"\(api)\", collection: c2}").map(\.name) == ["d3"])
        let pinned = try await Self.resolve(harness, "{api: \"\(api)\", datasets: [d3, d2]}")
        #expect(pinned.map(\.name) == ["d3", "d2"] && pinned.first?.metadata?["dataset_version_id"] == "d3-v2")
        // A dataset two entries list is one item.
        let both = try harness.pipeline(
            Self.yaml("{api: \"\(api)\", collection: c2}").replacingOccurrences(of: "stages:", with: "  - cellxgene: {api: \"\(api)\", tissue: blood, min_cells: 3500}\nstages:"),
            name: "both.yaml")
        let lines = Mutex<[String]>([])
        let merged = try await ItemResolver(ledger: nil).resolve(try harness.load(both)) { line in lines.withLock { $0.append(line) } }
        #expect(merged.items.map(\.name) == ["d3", "d5"], "\(merged.items.map(\.name))")
        #expect(lines.withLock { $0 }.contains { $0.contains("1 of its datasets are listed by an earlier entry") })
        // What cannot be resolved is one sentence with a code.
        await #expect(throws: CatalogError.self) { try await Self.resolve(harness, "{api: \"\(api)\", organism: Danio rerio}") }
        do {
            _ = try await Self.resolve(harness, "{api: \"\(api)\", collection: c9}")
            Issue.record("a missing collection resolved")
        } catch let error as CatalogError {
            #expect(error.code == .notFound && error.message.contains("/curation/v1/collections/c9"), "\(error)")
        }
        #expect(throws: ConfigError.self) { try harness.load(try harness.pipeline(Self.yaml("{datasets: [../etc]}"), name: "bad.yaml")) }
        #expect(throws: ConfigError.self) { try harness.load(try harness.pipeline(Self.yaml("{tissue: blood, group_by: cell_type}"), name: "bad.yaml")) }
        try await harness.stop()
    }

    @Test func rateLimitsServerErrorsAndCutBodiesAreRiddenOut() async throws {
        let (harness, _) = try await Self.start()
        let base = String(harness.server.url("").dropLast())
        for fault in ["busy/2", "fail/2", "reset/1"] {
            let items = try await Self.resolve(harness, "{api: \"\(base)/\(fault)\", tissue: lung}")
            #expect(items.map(\.name) == ["d2"], "\(fault)")
            #expect(harness.server.requestCount("/\(fault)/curation/v1/datasets") == Int(fault.split(separator: "/")[1])! + 1, "\(fault)")
        }
        do {
            _ = try await Self.resolve(harness, "{api: \"\(base)/status/403\", tissue: lung}")
            Issue.record("a refusal resolved")
        } catch let error as CatalogError {
            #expect(error.code == .badResponse && error.message.contains("403"), "\(error)")
        }
        // A body always cut short: tried six times, then one sentence.
        do {
            _ = try await Self.resolve(harness, "{api: \"\(base)/truncate\", tissue: lung}")
            Issue.record("a cut body resolved")
        } catch let error as CatalogError {
            #expect(error.code == .unreachable && error.message.contains("6 tries"), "\(error)")
            #expect(harness.server.requestCount("/truncate/curation/v1/datasets") == 6)
        }
        try await harness.stop()
    }

    @Test func aRunKeepsTheListAndARefreshSaysWhatChanged() async throws {
        var (harness, fixture) = try await Self.start()
        let api = harness.server.url("").dropLast()
        // raw/ holds one download at a time: less than the datasets' bytes.
        let path = try harness.pipeline(Self.yaml("{api: \"\(api)\", tissue: blood, min_cells: 1000}", budget: "{total: 6MB, areas: {raw: 400kB}}"))
        func run(refresh: Bool = false) async throws -> (RunSummary, [String]) {
            let lines = Mutex<[String]>([])
            let session = try await PipelineSession(config: try harness.load(path), refresh: refresh) { line in lines.withLock { $0.append(line) } }
            return (try await session.run(), lines.withLock { $0 })
        }
        let (first, firstLines) = try await run()
        #expect(first.done == 3 && first.items.map(\.item).sorted() == ["d1", "d3", "d5"], "\(first.items)")
        #expect(firstLines.contains { $0.contains("3 datasets") && $0.contains("kept in the ledger") }, "\(firstLines)")
        #expect(harness.server.requestCount("/curation/v1/datasets") == 1)
        for name in ["d1", "d3", "d5"] {
            let copied = try Data(contentsOf: URL(fileURLWithPath: harness.folder.file("work/output/\(name)/copy/copy.txt")))
            #expect(copied == (try Data(contentsOf: URL(fileURLWithPath: harness.served + "/\(name).h5ad"))))
        }
        // The datasets' metadata is in their logs and in the report.
        let logs = harness.folder.file("work/logs")
        let logText = try FileManager.default.contentsOfDirectory(atPath: logs).compactMap { try? String(contentsOfFile: logs + "/" + $0, encoding: .utf8) }.joined()
        #expect(logText.contains("title=Dataset d5") && logText.contains("dataset_version_id=d5-v2"), "\(logText.prefix(2000))")
        let ledger = try SQLiteLedger(path: harness.folder.file("work/sluice.db"))
        let report = try await RunReport.gather(workspace: Workspace(root: harness.folder.file("work")), ledger: ledger)
        #expect(report.sources.map(\.name) == ["d5", "d1", "d3"])
        #expect(report.html().contains("id=\"sources\"") && report.html().contains("<td>Dataset d3</td><td>Mus musculus</td><td>blood</td><td>normal</td>"))
        // The API changes: a rerun keeps the list it resolved, without asking.
        fixture.datasets.insert(
            DiscoverFixture.Dataset(
                id: "d6", version: "d6-v1", collection: "c1", title: "Dataset d6", cells: 2000, organism: "Homo sapiens", tissue: "blood", disease: "normal",
                url: harness.server.url("d4.h5ad"), bytes: 90_000), at: 0)
        fixture.datasets.removeAll { $0.id == "d1" }
        try fixture.write(into: harness.served)
        let (second, secondLines) = try await run()
        #expect(second.done == 3 && harness.server.requestCount("/curation/v1/datasets") == 1)
        #expect(secondLines.contains { $0.contains("as resolved") && $0.contains("--refresh") }, "\(secondLines)")
        // A refresh asks again, says what changed, and runs the new dataset.
        let (third, thirdLines) = try await run(refresh: true)
        #expect(harness.server.requestCount("/curation/v1/datasets") == 2)
        #expect(thirdLines.contains { $0.contains("1 added (d6)") && $0.contains("1 gone (d1") }, "\(thirdLines)")
        #expect(third.items.contains { $0.item == "d6" && $0.state == .done }, "\(third.items)")
        try await harness.stop()
    }
}
