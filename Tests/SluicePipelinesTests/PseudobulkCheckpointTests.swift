import Foundation
import SluiceFormats
import SluicePipelines
import SluiceTestSupport
import Testing

/// Pseudobulk's pass stopped in the middle — by an error, or by SIGKILL of `sluice analyze
/// pseudobulk` — resumes from its last checkpoint and gives the same result, value for value and
/// byte for byte, reading only the cells after the checkpoint; and a checkpoint that does not fit
/// the bytes kept for it is skipped rather than written.
@Suite(.serialized) struct PseudobulkCheckpointTests {
    /// The cells a saved pseudobulk state had done, if there is one.
    static func cellsDone(_ state: String) -> Int? {
        try? StateArchive(contentsOf: state).json("cells", as: Int.self)
    }

    static func options(bootstrap: Int, hierarchy: Bool) throws -> PseudobulkOptions {
        var options = PseudobulkOptions(by: ["cell_type", "donor_id"])
        options.minCells = 0
        options.minCounts = 0
        options.chunkSize = 97
        options.bootstrapReplicates = bootstrap
        options.seed = 5
        if hierarchy {
            options.hierarchy = .init(
                hierarchy: try CellTypeHierarchy(contentsOf: PseudobulkTests.folder + "/hierarchy.tsv"), level: "L2", column: "cell_type")
        }
        return options
    }

    @Test("stopped in its pass, it resumes from the checkpoint with the same result", arguments: [(0, false), (7, false), (0, true)])
    func resumesWithTheSameResult(bootstrap: Int, hierarchy: Bool) throws {
        let folder = try TemporaryDirectory("sluice-pseudobulk-checkpoint")
        let options = try Self.options(bootstrap: bootstrap, hierarchy: hierarchy)
        let reference = try PseudobulkAggregator(options: options).run(CellSourceOpener.open(PseudobulkTests.h5ad))

        var aggregator = PseudobulkAggregator(options: options)
        aggregator.checkpoint = AnalysisCheckpoint(
            folder: folder.file("state"), name: "pseudobulk", interval: .zero, fingerprint: "input|settings")
        var notes: [String] = []
        aggregator.note = { notes.append($0) }
        let cells = try CellSourceOpener.open(PseudobulkTests.h5ad).cellCount
        let stopAt = cells / 2
        #expect(throws: StoppingSource.Stopped.self) {
            try aggregator.run(StoppingSource(CellSourceOpener.open(PseudobulkTests.h5ad), stopAtCell: stopAt))
        }
        // Checkpoints after every chunk: the last one stands at the last whole chunk before the stop.
        let saved = try #require(try aggregator.checkpoint?.load())
        let resumeAt = try saved.json("cells", as: Int.self)
        #expect(resumeAt == stopAt / 97 * 97 && resumeAt > 0)

        let source = StoppingSource(try CellSourceOpener.open(PseudobulkTests.h5ad), stopAtCell: nil)
        let resumed = try aggregator.run(source)
        #expect(source.reads.first?.lowerBound == resumeAt, "only the cells after the checkpoint are read again")
        #expect(source.reads.reduce(0) { $0 + $1.count } == cells - resumeAt)
        #expect(notes.contains { $0.contains("resuming at cell \(resumeAt) of \(cells)") }, "\(notes)")
        #expect(resumed.groups == reference.groups)
        #expect(resumed.sums == reference.sums)
        #expect(resumed.nonzeroCells == reference.nonzeroCells)
        #expect(resumed.bootstrap == reference.bootstrap)
        #expect(resumed.droppedCells == reference.droppedCells)
        #expect(resumed.missingLabels.map(\.cells) == reference.missingLabels.map(\.cells))

        // A state written for other settings is not taken up: the run starts from the first cell.
        var other = aggregator
        other.checkpoint?.fingerprint = "input|other settings"
        let fresh = StoppingSource(try CellSourceOpener.open(PseudobulkTests.h5ad), stopAtCell: nil)
        #expect(try other.run(fresh).sums == reference.sums)
        #expect(fresh.reads.first?.lowerBound == 0)
    }

    @Test func aCheckpointThatDoesNotFitIsSkipped() throws {
        let folder = try TemporaryDirectory("sluice-pseudobulk-checkpoint-limit")
        let options = try Self.options(bootstrap: 0, hierarchy: false)
        var aggregator = PseudobulkAggregator(options: options)
        // Far less than one state (12 bytes × groups × genes): no checkpoint is ever written.
        aggregator.checkpoint = AnalysisCheckpoint(
            folder: folder.file("state"), name: "pseudobulk", interval: .zero, fingerprint: "f", limit: 10_000)
        var notes: [String] = []
        aggregator.note = { notes.append($0) }
        let cells = try CellSourceOpener.open(PseudobulkTests.h5ad).cellCount
        #expect(throws: StoppingSource.Stopped.self) {
            try aggregator.run(StoppingSource(CellSourceOpener.open(PseudobulkTests.h5ad), stopAtCell: cells / 2))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("state/pseudobulk.state")))
        #expect(notes.count == 1 && notes[0].contains("checkpoints skipped"), "\(notes)")

        // With room for two states, one is kept, and the next replaces it.
        aggregator.checkpoint?.limit = nil
        notes = []
        #expect(throws: StoppingSource.Stopped.self) {
            try aggregator.run(StoppingSource(CellSourceOpener.open(PseudobulkTests.h5ad), stopAtCell: cells / 2))
        }
        let bytes = try #require(FileManager.default.attributesOfItem(atPath: folder.file("state/pseudobulk.state"))[.size] as? NSNumber).int64Value
        aggregator.checkpoint?.limit = 2 * bytes + 4_096
        #expect(throws: StoppingSource.Stopped.self) {
            try aggregator.run(StoppingSource(CellSourceOpener.open(PseudobulkTests.h5ad), stopAtCell: cells * 3 / 4))
        }
        #expect(notes.filter { $0.contains("skipped") }.isEmpty, "\(notes)")
        #expect(try aggregator.checkpoint?.load()?.json("cells", as: Int.self) == (cells * 3 / 4) / 97 * 97)
    }

    /// `sluice analyze pseudobulk --checkpoint-dir` killed with SIGKILL in its pass, run again,
    /// writes the same files as an undisturbed run and removes its checkpoint.
    @Test func killedItResumesAndWritesTheSameFiles() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-pseudobulk-kill")
        let input = folder.file("big.h5ad")
        let cells = 60_000
        try SyntheticCounts(cells: cells, genes: 2_000, density: 0.06, seed: 3).write(to: input)
        @Sendable func arguments(_ output: String, checkpoints: Bool) -> [String] {
            [sluice, "analyze", "pseudobulk", input, "--by", "cell_type,donor_id", "--bootstrap", "3", "--chunk-size", "500", "--output", folder.file(output)]
                + (checkpoints ? ["--checkpoint-dir", folder.file("state"), "--checkpoint-every", "0s"] : [])
        }
        let reference = try await offThePool { runAndWait(arguments("reference", checkpoints: false)) }
        #expect(reference.status == 0, "\(reference.output)")

        let state = folder.file("state/pseudobulk.state")
        let stoppedAt = try await killWhen(sluice, Array(arguments("killed", checkpoints: true).dropFirst())) {
            Self.cellsDone(state).flatMap { $0 >= cells / 3 ? $0 : nil }
        }
        try #require(stoppedAt != nil, "the run ended before its pass reached a third of the cells")
        // The state as the kill left it (a later checkpoint may have landed just before it).
        let checkpoint = try #require(Self.cellsDone(state))
        #expect(checkpoint < cells)
        let resumed = try await offThePool { runAndWait(arguments("killed", checkpoints: true)) }
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("resuming at cell \(checkpoint) of \(cells)"), "\(resumed.output)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("state")), "the checkpoint is removed once the outputs are written")
        let expected = try CrashSafetyTests.files(folder.file("reference"))
        #expect(!expected.isEmpty)
        #expect(try CrashSafetyTests.files(folder.file("killed")) == expected)
    }

    /// Inside `sluice run`, a pseudobulk stage killed with its run resumes from its checkpoint
    /// (kept in the item's partial output, on the books) when the run is started again.
    @Test func aRunKilledInsideThePseudobulkStageResumesIt() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-pseudobulk-run")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        let cells = 60_000
        try SyntheticCounts(cells: cells, genes: 2_000, density: 0.06, seed: 13).write(to: folder.file("in/big.h5ad"))
        func pipeline(_ name: String, every: String) throws -> String {
            try PreprocessCheckpointTests.pipeline(
                in: folder, name: name,
                stage: """
                    - analyze:
                        run: pseudobulk
                        options: {by: [cell_type, donor_id], chunk_size: 500, bootstrap: 3}
                        checkpoint_every: \(every)
                        checkpoint_min_cells: 0
                    """)
        }
        let reference = try pipeline("reference", every: "off")
        #expect(try await offThePool { runAndWait([sluice, "run", reference, "--quiet"]) }.status == 0)

        let killed = try pipeline("killed", every: "0s")
        let state = folder.file("killed/output/big/pseudobulk.partial/.checkpoints/pseudobulk.state")
        let stoppedAt = try await killWhen(sluice, ["run", killed, "--quiet"]) {
            Self.cellsDone(state).flatMap { $0 >= cells / 3 ? $0 : nil }
        }
        let checkpoint = try #require(stoppedAt, "the run ended before its pseudobulk pass reached a third of the cells")
        #expect(try await offThePool { runAndWait([sluice, "run", killed, "--quiet"]) }.status == 0)

        // The analysis outlives its killed run by a moment (it ends once it sees its parent
        // gone), so it may have written a later checkpoint: the run resumes from that one.
        // A done item's program output is folded into the stage's log.
        let log = try String(contentsOfFile: folder.file("killed/logs/pseudobulk.log"), encoding: .utf8)
        let resumed = log.split(separator: "\n").filter { $0.contains("resuming at cell") }
        #expect(resumed.count == 1, "\(log)")
        let resumedAt = resumed.first.flatMap { line in line.split(separator: " ").dropFirst(3).first.flatMap { Int($0) } }
        #expect(resumedAt.map { $0 >= checkpoint && $0 < cells } == true, "resumed at \(String(describing: resumedAt)); killed at \(checkpoint)")
        let expected = try CrashSafetyTests.files(folder.file("reference/output"))
        #expect(expected.keys.contains("big/pseudobulk/pseudobulk.h5ad"), "\(expected.keys.sorted())")
        #expect(try CrashSafetyTests.files(folder.file("killed/output")) == expected)
    }
}
