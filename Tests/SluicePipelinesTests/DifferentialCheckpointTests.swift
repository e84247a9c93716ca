import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines
import SluiceTestSupport
import Testing

/// A Wilcoxon run that needs several passes, stopped in the middle of one — by an error, or by
/// SIGKILL of `sluice analyze differential` — resumes after the last block of genes it tested and
/// gives the same result, value for value and byte for byte, without reading the passes before.
@Suite(.serialized) struct DifferentialCheckpointTests {
    @Test(
        "stopped in a later pass, it resumes after its last tested block with the same result",
        arguments: [DifferentialTests.cases[8], DifferentialTests.cases[10]])
    func resumesWithTheSameResult(_ test: DifferentialTests.Case) throws {
        let folder = try TemporaryDirectory("sluice-differential-checkpoint")
        var options = test.options
        options.memoryBudget = 8 * 2_000  // 2,000 stored values per pass: many passes
        options.chunkSize = 97
        let reference = try DifferentialExpression(source: try CellSourceOpener.open(DifferentialTests.input), options: options).run()
        #expect(reference.passes > 5)
        let cells = try CellSourceOpener.open(DifferentialTests.input).cellCount
        let chunks = (cells + 96) / 97

        // Stopped half-way through the fourth pass.
        var analysis = DifferentialExpression(
            source: StoppingSource(try CellSourceOpener.open(DifferentialTests.input)) { _, reads in reads >= 3 * chunks + chunks / 2 },
            options: options)
        analysis.checkpoint = AnalysisCheckpoint(folder: folder.file("state"), name: "differential", interval: .zero, fingerprint: "f")
        #expect(throws: StoppingSource.Stopped.self) { try analysis.run() }
        let saved = try #require(try analysis.checkpoint?.load())
        #expect(try saved.json("passes", as: Int.self) == 3)

        let (result, notes, reads) = try resume(options, from: analysis.checkpoint)
        #expect(notes.contains { $0.contains("in pass 4") }, "\(notes)")
        // Only the passes after the checkpoint read the file again.
        #expect(reads == (reference.passes - 3) * chunks)
        #expect(result.passes == reference.passes)
        #expect(DifferentialTests.rows(result) == DifferentialTests.rows(reference))
        #expect(result.notes == reference.notes)
    }

    /// A t-test (one pass, per-group sums) stopped in the middle of its pass resumes after the
    /// last chunk it checkpointed, reads only the chunks after it, and gives the same result.
    @Test(
        "a t-test stopped in its pass resumes after its last checkpointed chunk with the same result",
        arguments: [DifferentialTests.cases[11], DifferentialTests.cases[13]])
    func aTTestResumesInsideItsPass(_ test: DifferentialTests.Case) throws {
        let folder = try TemporaryDirectory("sluice-differential-checkpoint")
        var options = test.options
        options.chunkSize = 97
        let reference = try DifferentialExpression(source: try CellSourceOpener.open(DifferentialTests.input), options: options).run()
        #expect(reference.passes == 1)
        let (checkpoint, cells, chunks, read) = try stopBeforeTheFourthLastChunk(options, in: folder)
        #expect(chunks > 4)

        let (result, notes, reads) = try resume(options, from: checkpoint)
        #expect(notes.contains { $0.contains("resuming after cell \(min(cells, read * 97)) of \(cells)") }, "\(notes)")
        #expect(reads == chunks - read)
        #expect(DifferentialTests.rows(result) == DifferentialTests.rows(reference))
        #expect(result.notes == reference.notes)
    }

    /// A Wilcoxon run stopped in its first pass — whether the pass holds every gene or drops
    /// some for later passes — resumes after the last chunk it checkpointed: the values it had
    /// stored come back from the spill beside the state, the file is read from that chunk on,
    /// and the result is the same.
    @Test(
        "a Wilcoxon run stopped in its first pass resumes after its last checkpointed chunk with the same result",
        arguments: firstPassCases)
    func aWilcoxonRunResumesInsideItsFirstPass(_ test: DifferentialTests.Case, memory: Int) throws {
        let folder = try TemporaryDirectory("sluice-differential-checkpoint")
        let (options, reference) = try wilcoxon(test, memory: memory)
        #expect(memory > 1 << 20 ? reference.passes == 1 : reference.passes > 1)
        let (checkpoint, cells, chunks, read) = try stopBeforeTheFourthLastChunk(options, in: folder)
        #expect(FileManager.default.fileExists(atPath: folder.file("state/differential.values")))

        let (result, notes, reads) = try resume(options, from: checkpoint)
        #expect(notes.contains { $0.contains("resuming after cell \(min(cells, read * 97)) of \(cells)") }, "\(notes)")
        // The first pass reads only the chunks after the checkpoint; later passes read them all.
        #expect(reads == chunks - read + (reference.passes - 1) * chunks)
        #expect(result.passes == reference.passes)
        #expect(DifferentialTests.rows(result) == DifferentialTests.rows(reference))
        #expect(result.notes == reference.notes)
        // A state after the first pass no longer needs the spill.
        #expect(reference.passes == 1 || !FileManager.default.fileExists(atPath: folder.file("state/differential.values")))
    }

    /// The spill starts at the first pass's first checkpoint, with an image of what the store
    /// holds then: a run whose checkpoint never falls due writes none, and one whose first
    /// checkpoint comes after several chunks resumes from that image (and the chunks spilled
    /// after it) with the same result.
    @Test(
        "the first pass's spill starts at its first checkpoint, with an image of the store",
        arguments: firstPassCases)
    func theSpillStartsAtTheFirstCheckpoint(_ test: DifferentialTests.Case, memory: Int) throws {
        let folder = try TemporaryDirectory("sluice-differential-checkpoint")
        let (options, reference) = try wilcoxon(test, memory: memory)

        let quietSpill = folder.file("quiet/differential.values")
        var spilled = false
        let watched = StoppingSource(try CellSourceOpener.open(DifferentialTests.input)) { _, _ in
            spilled = spilled || FileManager.default.fileExists(atPath: quietSpill)
            return false
        }
        var quiet = DifferentialExpression(source: watched, options: options)
        quiet.checkpoint = AnalysisCheckpoint(folder: folder.file("quiet"), name: "differential", interval: .seconds(3600), fingerprint: "f")
        #expect(DifferentialTests.rows(try quiet.run()) == DifferentialTests.rows(reference))
        #expect(!spilled && !FileManager.default.fileExists(atPath: quietSpill))

        // Each read waits 150 ms and checkpoints fall due every 400 ms: none before the second
        // chunk, unless the machine is so loaded that reading the first took longer than that
        // (then the run may image one chunk, and the check below says so rather than fail).
        let chunks = (watched.cellCount + 96) / 97
        let started = ContinuousClock.now
        var secondRead: ContinuousClock.Instant?
        let interval = Duration.milliseconds(400)
        var paced = DifferentialExpression(
            source: StoppingSource(try CellSourceOpener.open(DifferentialTests.input)) { _, reads in
                guard reads < chunks - 3 else { return true }
                if reads == 1 { secondRead = ContinuousClock.now }
                Thread.sleep(forTimeInterval: 0.15)
                return false
            }, options: options)
        paced.checkpoint = AnalysisCheckpoint(folder: folder.file("paced"), name: "differential", interval: interval, fingerprint: "f")
        #expect(throws: StoppingSource.Stopped.self) { try paced.run() }
        let read = try #require(try paced.checkpoint?.load()).json("chunks-read", as: Int.self)
        let spill = try Data(contentsOf: URL(fileURLWithPath: folder.file("paced/differential.values")))
        // The first record: an image (kind 1) of the chunks read when the first checkpoint fell due.
        let (kind, imaged) = spill.withUnsafeBytes { ($0.loadUnaligned(as: UInt64.self), Int($0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))) }
        let firstChunkWasQuick = try #require(secondRead) - started < interval
        #expect(kind == 1 && imaged >= (firstChunkWasQuick ? 2 : 1) && imaged <= read, "image of \(imaged) chunks, state after \(read)")
        #expect(imaged < read, "chunks were spilled after the image")

        let (result, notes, reads) = try resume(options, from: paced.checkpoint)
        #expect(notes.contains { $0.contains("resuming after cell \(read * 97) of") }, "\(notes)")
        #expect(reads == chunks - read + (reference.passes - 1) * chunks)
        #expect(DifferentialTests.rows(result) == DifferentialTests.rows(reference))
        #expect(result.notes == reference.notes)
    }

    /// When the first pass's values outgrow the room kept for checkpoints, the pass stops taking
    /// them and says so: the spill and the states never pass the limit, and the last checkpoint
    /// still resumes to the same result.
    @Test func aFirstPassWithoutRoomStopsTakingCheckpoints() throws {
        let folder = try TemporaryDirectory("sluice-differential-checkpoint")
        var options = DifferentialTests.cases[0].options
        options.chunkSize = 97
        let source = try CellSourceOpener.open(DifferentialTests.input)
        let reference = try DifferentialExpression(source: source, options: options).run()
        // Two states (as the analysis bounds them), the spill's image of the store's genes and
        // about a tenth of the file's values.
        let state = Int64(4 * source.cellCount + 8 * source.geneCount + (1 << 20))
        let limit = 2 * state + Int64(16 * source.geneCount) + 24_000
        var notes: [String] = []
        var analysis = DifferentialExpression(source: try CellSourceOpener.open(DifferentialTests.input), options: options)
        analysis.checkpoint = AnalysisCheckpoint(folder: folder.file("state"), name: "differential", interval: .zero, fingerprint: "f", limit: limit)
        analysis.note = { notes.append($0) }
        let result = try analysis.run()
        #expect(DifferentialTests.rows(result) == DifferentialTests.rows(reference))
        #expect(notes.contains { $0.contains("checkpoints in the first pass stop after cell") }, "\(notes)")
        let spill = DiskUsage.contentBytes(at: folder.file("state/differential.values"))
        // The spill keeps room for two states beside it, as large as the analysis bounds them.
        #expect(spill > 0 && spill <= limit - 2 * state, "the spill holds \(spill) bytes")
        #expect(spill + DiskUsage.contentBytes(at: folder.file("state/differential.state")) <= limit)

        let (resumed, _, _) = try resume(options, from: analysis.checkpoint)
        #expect(DifferentialTests.rows(resumed) == DifferentialTests.rows(reference))
    }

    /// Wilcoxon cases whose first pass holds every gene (1 GiB) or drops some for later passes.
    static let firstPassCases = [(DifferentialTests.cases[8], 1 << 30), (DifferentialTests.cases[10], 8 * 20_000)]

    /// `test`'s options reading 97 cells a chunk within `memory` bytes, and their undisturbed result.
    private func wilcoxon(_ test: DifferentialTests.Case, memory: Int) throws -> (DifferentialOptions, DifferentialResult) {
        var options = test.options
        options.chunkSize = 97
        options.memoryBudget = memory
        return (options, try DifferentialExpression(source: try CellSourceOpener.open(DifferentialTests.input), options: options).run())
    }

    /// Runs the analysis (`options` read 97 cells a chunk), checkpointing after each chunk, until it asks for the
    /// fourth-last chunk of its first pass, where it stops; its checkpoint must hold the chunks
    /// before. Returns the checkpoint, the cells, the chunks and the chunks its state says it read.
    private func stopBeforeTheFourthLastChunk(_ options: DifferentialOptions, in folder: TemporaryDirectory) throws -> (
        checkpoint: AnalysisCheckpoint?, cells: Int, chunks: Int, read: Int
    ) {
        let cells = try CellSourceOpener.open(DifferentialTests.input).cellCount
        let chunks = (cells + 96) / 97
        var analysis = DifferentialExpression(
            source: StoppingSource(try CellSourceOpener.open(DifferentialTests.input)) { _, reads in reads >= chunks - 3 }, options: options)
        analysis.checkpoint = AnalysisCheckpoint(folder: folder.file("state"), name: "differential", interval: .zero, fingerprint: "f")
        #expect(throws: StoppingSource.Stopped.self) { try analysis.run() }
        let saved = try #require(try analysis.checkpoint?.load())
        let read = try saved.json("chunks-read", as: Int.self)
        #expect(read == chunks - 3)
        return (analysis.checkpoint, cells, chunks, read)
    }

    /// Runs the analysis again from `checkpoint`: its result, the notes it made and the chunks
    /// of cells it read.
    private func resume(_ options: DifferentialOptions, from checkpoint: AnalysisCheckpoint?) throws -> (DifferentialResult, [String], Int) {
        var notes: [String] = []
        let source = StoppingSource(try CellSourceOpener.open(DifferentialTests.input), stopAtCell: nil)
        var resumed = DifferentialExpression(source: source, options: options)
        resumed.checkpoint = checkpoint
        resumed.note = { notes.append($0) }
        let result = try resumed.run()
        return (result, notes, source.reads.count)
    }

    /// `sluice analyze differential --checkpoint-dir` killed with SIGKILL in a later pass, run
    /// again, writes the same table as an undisturbed run and removes its checkpoint.
    @Test func killedItResumesAndWritesTheSameTable() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-differential-kill")
        let input = folder.file("big.h5ad")
        try SyntheticCounts(cells: 20_000, genes: 1_000, density: 0.1, seed: 5).write(to: input)
        @Sendable func arguments(_ output: String, checkpoints: Bool) -> [String] {
            [sluice, "analyze", "differential", input, "--groupby", "cell_type", "--normalize", "--memory-mb", "1", "--output", folder.file(output)]
                + (checkpoints ? ["--checkpoint-dir", folder.file("state"), "--checkpoint-every", "0s"] : [])
        }
        let reference = try await offThePool { runAndWait(arguments("reference", checkpoints: false)) }
        #expect(reference.status == 0, "\(reference.output)")

        let state = folder.file("state/differential.state")
        let stoppedAfter = try await killWhen(sluice, Array(arguments("killed", checkpoints: true).dropFirst())) { () -> Int? in
            guard let archive = try? StateArchive(contentsOf: state), (try? archive.json("passes", as: Int.self)).map({ $0 >= 2 }) == true else { return nil }
            return try? archive.json("done", as: Int.self)
        }
        try #require(stoppedAfter != nil, "the run ended before its second pass")
        // The state as the kill left it (a later checkpoint may have landed just before it).
        let done = try #require(try? StateArchive(contentsOf: state).json("done", as: Int.self))
        let resumed = try await offThePool { runAndWait(arguments("killed", checkpoints: true)) }
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("resuming after gene \(done) of 1000"), "\(resumed.output)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("state")))
        let expected = try CrashSafetyTests.files(folder.file("reference"))
        #expect(expected.keys.contains("differential.tsv"))
        #expect(try CrashSafetyTests.files(folder.file("killed")) == expected)
    }
}
