import Foundation
import SluiceFormats
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// Single-cell activity stopped in either pass — by an error, or by SIGKILL of `sluice analyze
/// activity --single-cell` — resumes from its last checkpoint, computes only the cells after it,
/// and hands the writer the same chunks, obs rows and float32 values (so `activity.h5ad` is the
/// same file, byte for byte) as a run without checkpoints.
@Suite(.serialized) struct CellActivityCheckpointTests {
    /// What a run hands its writer: each chunk's cells, obs names and values as float32.
    struct Written: Equatable {
        var cells: Range<Int>
        var names: [String]
        var values: [[Float]]
    }

    /// Cells a chunk: the fixture's cells make a dozen chunks.
    static let chunk = 16

    static func run(
        _ source: any CellSource, checkpoint: AnalysisCheckpoint?, notes: inout [String]
    ) throws -> [Written] {
        var written: [Written] = []
        var heard: [String] = []
        defer { notes += heard }
        try CellActivity.singleCell(
            source, signature: try CellActivityTests.signature(), options: CellActivityTests.options, chunkSize: Self.chunk, checkpoint: checkpoint,
            note: { heard.append($0) }
        ) { batch, result, _ in
            let values = [result.beta, result.se, result.zscore, result.pvalue].map { $0.map(Float.init) }
            written.append(Written(cells: batch.cells, names: batch.obs.index, values: values))
        }
        return written
    }

    @Test("stopped in either pass, it resumes from its checkpoint and writes the same values", arguments: [1, 2])
    func resumesWithTheSameValues(pass: Int) throws {
        let folder = try TemporaryDirectory("sluice-activity-checkpoint")
        var notes: [String] = []
        let counted = StoppingSource(try CellSourceOpener.open(CellActivityTests.cells), stopAtCell: nil)
        let reference = try Self.run(counted, checkpoint: nil, notes: &notes)
        let cells = counted.cellCount
        let chunks = (cells + Self.chunk - 1) / Self.chunk
        #expect(chunks > 4)
        // The fixture repeats gene names: a first look at the genes' totals reads every chunk
        // before the two passes (and again on a resume).
        let before = counted.reads.count - 2 * chunks
        let checkpoint = AnalysisCheckpoint(folder: folder.file("state"), name: "activity", interval: .zero, fingerprint: "f")

        // Stopped half-way through the first pass (gene means) or the second (activities).
        let stop = before + (pass - 1) * chunks + chunks / 2
        let stopping = StoppingSource(try CellSourceOpener.open(CellActivityTests.cells)) { _, reads in reads >= stop }
        #expect(throws: StoppingSource.Stopped.self) { try Self.run(stopping, checkpoint: checkpoint, notes: &notes) }
        #expect(FileManager.default.fileExists(atPath: checkpoint.sideFile("spill")) == (pass == 2))
        if pass == 2, let spill = FileHandle(forWritingAtPath: checkpoint.sideFile("spill")) {
            // Results of a chunk written after the last checkpoint: the resume must cut them off.
            try spill.seekToEnd()
            try spill.write(contentsOf: Data(repeating: 0xAB, count: 4_096))
            try spill.close()
        }

        notes = []
        let source = StoppingSource(try CellSourceOpener.open(CellActivityTests.cells), stopAtCell: nil)
        let resumed = try Self.run(source, checkpoint: checkpoint, notes: &notes)
        #expect(notes.contains { $0.contains("resuming at cell \(chunks / 2 * Self.chunk) of \(cells), in pass \(pass)") }, "\(notes)")
        // Only the cells after the checkpoint were read for the pass it was in.
        let matrixReads = source.reads.count
        #expect(matrixReads == before + (pass == 1 ? chunks - chunks / 2 + chunks : chunks - chunks / 2))
        #expect(resumed == reference)
        checkpoint.remove()
        #expect(!FileManager.default.fileExists(atPath: folder.file("state")))
    }

    @Test func aLimitWithoutRoomForTheSpillTakesNoCheckpoints() throws {
        let folder = try TemporaryDirectory("sluice-activity-checkpoint-limit")
        var notes: [String] = []
        let reference = try Self.run(try CellSourceOpener.open(CellActivityTests.cells), checkpoint: nil, notes: &notes)
        let checkpoint = AnalysisCheckpoint(folder: folder.file("state"), name: "activity", interval: .zero, fingerprint: "f", limit: 1_000)
        let written = try Self.run(try CellSourceOpener.open(CellActivityTests.cells), checkpoint: checkpoint, notes: &notes)
        #expect(written == reference)
        #expect(notes.count == 1 && notes[0].hasPrefix("no checkpoints: the results of"), "\(notes)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("state")))
    }

    /// `sluice analyze activity --single-cell --checkpoint-dir` killed with SIGKILL in its second
    /// pass, run again, writes the same `activity.h5ad` as a run without checkpoints.
    @Test func killedItResumesAndWritesTheSameFile() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-activity-kill")
        let input = folder.file("big.h5ad")
        let cells = 20_000
        // The fixture's signature, its genes renamed to the generated file's gene ids.
        try SyntheticCounts(cells: cells, genes: 600, density: 0.1, seed: 9).write(to: input)
        let signature = try CellActivityTests.signature()
        let table = folder.file("signature.tsv")
        let genes = (100..<600).map { String(format: "ENSG%011d", $0 + 1) }
        var text = "gene\t" + signature.columns.joined(separator: "\t") + "\n"
        for (row, gene) in genes.prefix(signature.rows.count).enumerated() {
            text += gene + "\t" + signature.columns.indices.map { "\(signature[row, $0])" }.joined(separator: "\t") + "\n"
        }
        try text.write(toFile: table, atomically: true, encoding: .utf8)
        @Sendable func arguments(_ output: String, checkpoints: Bool) -> [String] {
            [
                "analyze", "activity", input, "--signature", table, "--single-cell", "--lambda", "1e4", "--n-rand", "100", "--chunk-size", "500",
                "--output", folder.file(output),
            ] + (checkpoints ? ["--checkpoint-dir", folder.file("state"), "--checkpoint-every", "0s"] : [])
        }
        let reference = try await offThePool { runAndWait([sluice] + arguments("reference", checkpoints: false)) }
        #expect(reference.status == 0, "\(reference.output)")

        let state = folder.file("state/activity.state")
        @Sendable func position() -> (pass: Int, cells: Int)? {
            guard let archive = try? StateArchive(contentsOf: state), let pass = try? archive.json("phase", as: Int.self),
                let done = try? archive.json("cells", as: Int.self)
            else { return nil }
            return (pass, done)
        }
        let reached = try await killWhen(sluice, arguments("killed", checkpoints: true)) {
            position().flatMap { $0.pass == 2 && $0.cells >= cells / 3 ? true : nil }
        }
        try #require(reached != nil, "the run ended before its second pass reached a third of the cells")
        let stopped = try #require(position())
        let resumed = try await offThePool { runAndWait([sluice] + arguments("killed", checkpoints: true)) }
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("resuming at cell \(stopped.cells) of \(cells), in pass 2"), "\(resumed.output)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("state")), "the checkpoint and its spill are removed once the file is written")
        let expected = try CrashSafetyTests.files(folder.file("reference"))
        #expect(expected.keys.contains("activity.h5ad"))
        #expect(try CrashSafetyTests.files(folder.file("killed")) == expected)
    }
}
