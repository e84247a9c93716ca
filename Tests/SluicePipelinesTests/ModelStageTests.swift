import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines
import SluiceTestSupport
import Testing

/// A `model` stage updates its model after every batch of items, in item order, keeps its
/// versions under `checkpoints/` as `keep_last` and `keep_every` say, embeds each item with the
/// version made from its batch, and never applies a batch twice, whatever `kill -9` interrupts.
@Suite(.serialized) struct ModelStageTests {
    /// Five datasets and a pipeline that fetches them and updates a model two at a time.
    private func pipeline(_ folder: TemporaryDirectory, workspace: String = "work") throws -> String {
        let input = folder.file("in")
        if !FileManager.default.fileExists(atPath: input) {
            try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
            for k in 0..<5 {
                try SyntheticCounts(cells: 300 + 50 * k, genes: 60, density: 0.2, seed: UInt64(40 + k)).write(to: folder.file("in/d\(k).h5ad"))
            }
            let features = SyntheticCounts(cells: 1, genes: 60).geneFrame().index.prefix(40)
            try features.joined(separator: "\n").write(toFile: folder.file("features.txt"), atomically: true, encoding: .utf8)
        }
        let yaml = """
            workspace: ./\(workspace)
            budget: {total: 200MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - model: {every: 2, features: features.txt, components: 5, chunk_size: 64, keep_last: 2, keep_every: 2}
            """
        let path = folder.file("\(workspace).yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `sluice model update` fed the same batches by hand: the versions' folders.
    private func byHand(_ folder: TemporaryDirectory) async throws -> [String] {
        var versions: [String] = []
        for (number, batch) in [["d0", "d1"], ["d2", "d3"], ["d4"]].enumerated() {
            let start = versions.last.map { ["--from", $0] } ?? ["--features", "features.txt", "--components", "5", "--chunk-size", "64"]
            let out = "hand/v\(number + 1)"
            let update = try await SluiceBinary.run(["model", "update"] + batch.map { "in/\($0).h5ad" } + start + ["--out", out], in: folder.path)
            #expect(update.status == 0, "\(update)")
            versions.append(out)
        }
        return versions
    }

    private func contents(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// The batches a version's record says it has seen.
    private func batches(_ version: String) throws -> [[String]] {
        struct Record: Decodable { let batches: [[String]] }
        return try JSONDecoder().decode(Record.self, from: contents(version + "/version.json")).batches
    }

    @Test func versionsFollowTheBatchesAndKeepTheirQuota() async throws {
        let folder = try TemporaryDirectory("sluice-model-stage")
        let pipeline = try pipeline(folder)
        let outcome = try await SluiceBinary.run(["run", pipeline, "--quiet"], in: folder.path)
        #expect(outcome.status == 0, "\(outcome)")
        let checkpoints = folder.file("work/checkpoints/model")
        // v1 went once v3 was committed: the last two and every second are kept.
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted() == ["v000002", "v000003"])
        #expect(try batches(checkpoints + "/v000003") == [["d0", "d1"], ["d2", "d3"], ["d4"]])
        let hand = try await byHand(folder)
        #expect(try contents(checkpoints + "/v000002/model.json") == contents(folder.file(hand[1] + "/model.json")))
        #expect(try contents(checkpoints + "/v000003/model.json") == contents(folder.file(hand[2] + "/model.json")))
        // Each item embedded with the version its batch made.
        for (item, version) in [("d0", 1), ("d1", 1), ("d2", 2), ("d3", 2), ("d4", 3)] {
            let stamp = try JSONDecoder().decode([String: Int].self, from: contents(folder.file("work/output/\(item)/embeddings/model_version.json")))
            #expect(stamp["version"] == version, "\(item)")
        }
        let embed = try await SluiceBinary.run(["model", "embed", hand[1], "in/d3.h5ad", "--out", "d3.parquet"], in: folder.path)
        #expect(embed.status == 0, "\(embed)")
        let ours = try ParquetReader(path: folder.file("work/output/d3/embeddings/embeddings.parquet")).readAll(columns: ["cell_id", "embedding"])
        let theirs = try ParquetReader(path: folder.file("d3.parquet")).readAll(columns: ["cell_id", "embedding"])
        #expect(ours.columns[1].values == theirs.columns[1].values && ours.columns[0].values == theirs.columns[0].values)
        #expect(ours.columns[0].rowCount == 450)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder.file("work/raw"))) ?? [] == [])
    }

    /// An external trainer gets the latest version's folder (empty before the first), the
    /// batch as JSON and the folder to write the next version to; what it writes is committed
    /// as that version, with the record of the batches.
    @Test func anExternalTrainerWritesEachVersion() async throws {
        let folder = try TemporaryDirectory("sluice-model-trainer")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for k in 0..<5 { try SyntheticCounts(cells: 20, genes: 10, density: 0.3, seed: UInt64(k)).write(to: folder.file("in/d\(k).h5ad")) }
        // The model counts the items it has seen.
        let trainer = #"n=0; [ -n "$1" ] && n=$(cat "$1/n"); echo $((n + $(grep -c '"item"' "$2"))) > "$3/n""# + "\n"
        try trainer.write(toFile: folder.file("trainer.sh"), atomically: true, encoding: .utf8)
        let yaml = """
            workspace: ./work
            budget: {total: 200MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - model: {every: 2, keep_last: 5, version_bytes: 1MB, command: [/bin/sh, "\(folder.file("trainer.sh"))", "{checkpoint}", "{batch}", "{next_checkpoint}"]}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let outcome = try await SluiceBinary.run(["run", "p.yaml", "--quiet"], in: folder.path)
        #expect(outcome.status == 0, "\(outcome)")
        let checkpoints = folder.file("work/checkpoints/model")
        for (version, seen) in [(1, "2"), (2, "4"), (3, "5")] {
            let text = try String(contentsOfFile: checkpoints + String(format: "/v%06d/n", version), encoding: .utf8)
            #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == seen, "v\(version)")
        }
        let listing = try JSONSerialization.jsonObject(with: contents(checkpoints + "/v000003/batch.json")) as? [[String: String]]
        #expect(listing?.map { $0["item"] } == ["d4"] && listing?.first?["file"]?.hasSuffix("/raw/d4/d4.h5ad") == true, "\(String(describing: listing))")
        #expect(try batches(checkpoints + "/v000003") == [["d0", "d1"], ["d2", "d3"], ["d4"]])
        #expect(!FileManager.default.fileExists(atPath: folder.file("work/output/d0")))
    }

    /// `kill -9` the moment a new version is committed (before its batch's task completes, as
    /// a rule) and at random moments, restarting each time: the versions end as an undisturbed
    /// run's, byte for byte, with each batch once in their record, and every task done once.
    @Test func killNineNeverAppliesABatchTwice() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-model-crash")
        let pipeline = try pipeline(folder, workspace: "crashed")
        let hand = try await byHand(folder)
        let checkpoints = folder.file("crashed/checkpoints/model")
        let versions: @Sendable () -> Set<String> = {
            Set(((try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []).filter { !$0.hasSuffix(".partial") })
        }
        let (kills, afterCommit) = try await KillAfterCommits.run(sluice, ["run", pipeline, "--quiet"], watching: checkpoints, seed: 20_261_207)
        #expect(kills >= 3 && afterCommit >= 1, "\(kills) kills, \(afterCommit) right after a commit: the run ended too soon")
        let final = try await SluiceBinary.run(["run", pipeline, "--quiet"], in: folder.path)
        #expect(final.status == 0, "\(final)")
        #expect(try contents(checkpoints + "/v000003/model.json") == contents(folder.file(hand[2] + "/model.json")))
        #expect(try batches(checkpoints + "/v000003") == [["d0", "d1"], ["d2", "d3"], ["d4"]])
        #expect(versions() == ["v000002", "v000003"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints).allSatisfy { !$0.hasSuffix(".partial") })
        let ledger = try SQLiteLedger(path: folder.file("crashed/sluice.db"))
        let done = try await ledger.events(after: 0, limit: 10_000).filter { $0.kind == "done" && $0.stage == 1 }
        #expect(done.compactMap(\.item).sorted() == ["d0", "d1", "d2", "d3", "d4"])
        print("model kill -9 test: \(kills) kills, \(afterCommit) right after a version's commit")
    }
}
