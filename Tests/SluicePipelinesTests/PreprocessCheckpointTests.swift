import Foundation
import SluiceFormats
import SluiceTestSupport
import Testing

/// The corpus builder killed with SIGKILL in each of its passes resumes from its last checkpoint
/// and writes the same bytes as an undisturbed run; each resume starts where the last checkpoint
/// written before the kill left it, so the work done twice is what ran after that checkpoint.
///
/// Runs the real `sluice` binary (built next to the tests: `swift build --product sluice`).
@Suite(.serialized) struct PreprocessCheckpointTests {
    /// Where a checkpoint stood, as `sluice preprocess` writes it.
    struct Position: Decodable, Equatable, CustomStringConvertible {
        var pass: Int
        var tokens: Bool
        var batches: Int
        var cells: Int
        var description: String { tokens ? "token pass, \(cells) cells" : "pass \(pass + 1), \(cells) cells" }
        /// Passes then cells, in the order the run goes through them.
        var order: [Int] { [tokens ? 1_000 : pass, cells] }
    }

    struct Scalars: Decodable { var position: Position }

    static func position(_ file: String) -> Position? {
        guard let archive = try? StateArchive(contentsOf: file) else { return nil }
        return try? archive.json("scalars", as: Scalars.self).position
    }

    @Test func killedInEveryPassItResumesAndWritesTheSameCorpus() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-checkpoint")
        let input = folder.file("big.h5ad")
        let cells = 40_000
        try SyntheticCounts(cells: cells, genes: 1_500, density: 0.06, seed: 7).write(to: input)
        @Sendable func arguments(_ root: String, checkpoints: Bool) -> [String] {
            [
                "preprocess", "run-all", input, "--dataset-name", "big", "--output-dir", folder.file("\(root)/output"),
                "--interim-dir", folder.file("\(root)/interim"), "--log-dir", folder.file("\(root)/logs"), "--chunk-size", "1000",
                "--top-genes", "256", "--test-size", "0.2", "--shard-size", "300KB",
            ] + (checkpoints ? ["--checkpoint-dir", folder.file("\(root)/state"), "--checkpoint-every", "0s"] : [])
        }

        // The reference: undisturbed, without checkpoints.
        let reference = try await offThePool { runAndWait([sluice] + arguments("reference", checkpoints: false)) }
        #expect(reference.status == 0)

        // Killed once in each pass: the first (QC and histogram), the second (collecting the
        // medians' values) and the token pass (shards written), each at a cell well inside it.
        let state = folder.file("killed/state/big.convert.state")
        let targets = [
            Position(pass: 0, tokens: false, batches: 0, cells: cells / 2),
            Position(pass: 1, tokens: false, batches: 0, cells: cells / 3),
            Position(pass: 2, tokens: true, batches: 0, cells: cells / 2),
        ]
        var resumedAt: [Position] = []
        for target in targets {
            let reached = try await killWhen(sluice, arguments("killed", checkpoints: true)) {
                Self.position(state).flatMap { $0.order.lexicographicallyPrecedes(target.order) ? nil : $0 }
            }
            // What the run had done since its last checkpoint is what a resume does again.
            let written = (try? FileManager.default.attributesOfItem(atPath: state)[.modificationDate] as? Date) ?? Date()
            let age = Date().timeIntervalSince(written)
            try #require(reached != nil, "the run ended before it reached \(target)")
            let position = try #require(Self.position(state))
            resumedAt.append(position)
            print("killed at \(position) (target \(target)); the last checkpoint was \(String(format: "%.2f", age)) s old")
        }
        // Each kill came later in the run than the one before: every restart went on from its checkpoint.
        #expect(zip(resumedAt, resumedAt.dropFirst()).allSatisfy { $0.order.lexicographicallyPrecedes($1.order) })

        let finished = try await offThePool { runAndWait([sluice] + arguments("killed", checkpoints: true)) }
        #expect(finished.status == 0)
        // The last run said where it resumed: where the last kill's checkpoint stood.
        let log = try String(contentsOfFile: folder.file("killed/logs/big/pipeline.jsonl"), encoding: .utf8)
        let resumes = log.split(separator: "\n").filter { $0.contains("resumed_cells") }
        #expect(resumes.count == targets.count)
        #expect(resumes.last?.contains("\"resumed_cells\":\(resumedAt.last?.cells ?? -1)") == true, "\(resumes.last ?? "")")

        let expected = try Self.files(folder.file("reference/output"))
        let recovered = try Self.files(folder.file("killed/output"))
        #expect(expected.keys.contains("big/report.json"))
        // Shards of 300 KB, each a run of whole chunks: some were open at the checkpoints, and the
        // resumed run went on writing them.
        let shards = expected.filter { $0.key.hasSuffix(".parquet") }
        #expect(shards.count >= 10)
        for split in ["train", "test"] {
            let sizes = shards.filter { $0.key.contains("/\(split)/") }.sorted { $0.key < $1.key }.map(\.value.count)
            #expect(sizes.dropLast().allSatisfy { $0 >= 300_000 } && sizes.last! < 300_000 + 200_000, "\(split): \(sizes)")
        }
        #expect(Set(expected.keys) == Set(recovered.keys))
        for (path, data) in expected { #expect(recovered[path] == data, "\(path) differs") }
        // The checkpoints go once the dataset is done.
        #expect(!FileManager.default.fileExists(atPath: folder.file("killed/state")))
    }

    /// Inside `sluice run`, a preprocess stage killed with its run resumes from its checkpoint
    /// (kept in the item's partial output, on the books) when the run is started again.
    @Test func aRunKilledInsideThePreprocessStageResumesIt() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-checkpoint-run")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        let cells = 30_000
        try SyntheticCounts(cells: cells, genes: 1_200, density: 0.06, seed: 11).write(to: folder.file("in/big.h5ad"))
        func pipeline(_ name: String, every: String) throws -> String {
            try Self.pipeline(
                in: folder, name: name,
                stage: "- preprocess: {chunk_size: 1000, top_genes: 128, test_size: 0.2, checkpoint_every: \(every), checkpoint_min_cells: 0}")
        }
        let reference = try pipeline("reference", every: "off")
        #expect(try await offThePool { runAndWait([sluice, "run", reference, "--quiet"]) }.status == 0)

        let killed = try pipeline("killed", every: "0s")
        let state = folder.file("killed/output/big.partial/.checkpoints/big.convert.state")
        let target = Position(pass: 1, tokens: true, batches: 0, cells: cells / 2)
        let position = try await killWhen(sluice, ["run", killed, "--quiet"]) {
            Self.position(state).flatMap { $0.tokens && $0.cells >= target.cells ? $0 : nil }
        }
        let stoppedAt = try #require(position, "the run ended before its token pass was half done")
        #expect(try await offThePool { runAndWait([sluice, "run", killed, "--quiet"]) }.status == 0)

        let logs = FileManager.default.enumerator(atPath: folder.file("killed/logs"))?.allObjects as? [String] ?? []
        let resumed = try logs.filter { $0.hasSuffix(".jsonl") }.flatMap {
            try String(contentsOfFile: folder.file("killed/logs/\($0)"), encoding: .utf8).split(separator: "\n").filter { $0.contains("resumed_cells") }
        }
        // The builder outlives its killed run by a moment (it ends once it sees its parent gone,
        // or when the next run stops it), so it may have written a later checkpoint: the run
        // resumes from that one, in the token pass.
        #expect(resumed.count == 1)
        let line = try #require(resumed.first.map { Data($0.utf8) })
        let record = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        let resumedCells = try #require(record["resumed_cells"] as? Int)
        #expect(record["resumed_tokens"] as? Bool == true)
        #expect(resumedCells >= stoppedAt.cells && resumedCells < cells, "resumed after \(resumedCells) cells; killed after \(stoppedAt.cells)")
        let expected = try Self.files(folder.file("reference/output"))
        let recovered = try Self.files(folder.file("killed/output"))
        #expect(expected.keys.contains("big/report.json"))
        #expect(Set(expected.keys) == Set(recovered.keys))
        for (path, data) in expected { #expect(recovered[path] == data, "\(path) differs") }
    }

    static func files(_ folder: String) throws -> [String: Data] { try CrashSafetyTests.files(folder) }

    /// `<folder>/<name>.yaml`: `in/big.h5ad` fetched, then `stage` (a stage list entry, its
    /// lines indented by two spaces after the first), then cleaned up but for the outputs.
    static func pipeline(in folder: TemporaryDirectory, name: String, stage: String) throws -> String {
        let yaml = """
            workspace: ./\(name)
            budget: {total: 400MB}
            items:
              - {url: in/big.h5ad, name: big}
            stages:
              - fetch: {}
              \(stage.replacingOccurrences(of: "\n", with: "\n  "))
              - cleanup: {keep: [output]}
            """
        try yaml.write(toFile: folder.file("\(name).yaml"), atomically: true, encoding: .utf8)
        return folder.file("\(name).yaml")
    }
}
