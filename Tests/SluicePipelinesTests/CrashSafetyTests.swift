import Foundation
import SluiceEngine
import SluiceFormats
import SluiceLoopback
import SluiceTestSupport
import Testing

/// `kill -9` at ≥ 20 random moments, restarting each time, loses nothing and duplicates nothing:
/// the final outputs (report.json too) equal an uninterrupted run's byte for byte, every task
/// completed exactly once in the ledger, and no `.partial` or orphan file is left. The pipeline
/// has every kind of stage that runs work: downloads, the corpus builder, a command, an
/// analysis (its own `sluice analyze` process) and a stage run once per group.
///
/// Runs the real `sluice` binary (built next to the tests: `swift build --product sluice`).
@Suite(.serialized) struct CrashSafetyTests {
    @Test func killNineAtRandomMomentsLosesNothing() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-crash")
        let served = folder.file("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        for index in 0..<8 {
            try SyntheticCounts(cells: 2_500 + 250 * index, genes: 300, density: 0.1, seed: UInt64(index + 1)).write(to: served + "/sample\(index).h5ad")
        }
        let server = try await LoopbackServer.start(root: served)
        func pipeline(_ workspace: String) throws -> String {
            let items = (0..<8).map { "  - {url: \"\(server.url("slow/4/sample\($0).h5ad"))\", group: g\($0 % 2)}" }.joined(separator: "\n")
            let yaml = """
                workspace: ./\(workspace)
                budget: {total: 200MB}
                items:
                \(items)
                stages:
                  - fetch: {concurrency: 2}
                  - preprocess: {chunk_size: 1000, top_genes: 64, test_size: 0.2}
                  - command:
                      name: digest
                      argv: [sh, -c, 'cat "$0"/train/chunks/*.parquet | sha256sum > "$1/digest.txt"', "{in}", "{out}"]
                      outputs: [digest.txt]
                  - analyze:
                      run: pseudobulk
                      from: fetch
                      executable: \(sluice)
                      options: {by: cell_type, min_cells: 1, min_counts: 0}
                  - command:
                      name: merge
                      per: group
                      from: digest
                      argv: [sh, -c, 'out="$0"; shift; sleep 0.5; cat "$@" | sort | sha256sum > "$out/merged.txt"', "{out}", "{outs}/digest.txt"]
                      outputs: [merged.txt]
                  - cleanup: {keep: [output]}
                """
            let path = folder.file("\(workspace).yaml")
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        // The reference: one uninterrupted run.
        let clock = ContinuousClock.now
        #expect(try await Self.run(sluice, ["run", try pipeline("reference"), "--quiet"]) == 0)
        let referenceSeconds = (ContinuousClock.now - clock) / .seconds(1)

        // The same pipeline, killed with SIGKILL while an analysis runs and while a per-group
        // stage runs, then at random moments, restarted each time.
        let crashed = try pipeline("crashed")
        let ledgerPath = folder.file("crashed/sluice.db")
        // A stage's window can be missed on a busy machine: then the run starts over, afresh.
        var seen: [Int] = []
        for _ in 0..<3 where seen.count < 2 {
            try? FileManager.default.removeItem(atPath: folder.file("crashed"))
            seen = []
            for stage in [Self.analyzeStage, Self.groupStage] {
                guard try await Self.runAndKill(sluice, ["run", crashed, "--quiet"], whileRunning: stage, ledger: ledgerPath) else { break }
                seen.append(stage)
            }
        }
        #expect(seen == [Self.analyzeStage, Self.groupStage], "the runs ended before stages 3 and 4 were both seen running: \(seen)")
        var random = SeededGenerator(seed: 20_261_123)
        var kills = 2
        var attempts = 0
        var remaining = 1.0
        while kills < 20 && attempts < 80 {
            attempts += 1
            // Every restart carries the work forward, so the window a kill is drawn from shrinks with the
            // share of tasks still to do: 20 kills land before the end however fast the stages have
            // become, and whether the reference run shared the cores with other tests or not.
            let window = 0.04 + Double(random.next() % 1000) / 1000 * min(0.8, referenceSeconds * 0.25)
            let delay = 0.01 + window * remaining
            if try await Self.runAndKill(sluice, ["run", crashed, "--quiet"], after: delay) { kills += 1 } else { break }
            remaining = try await Self.shareOfTasksToDo(ledger: ledgerPath, tasks: 8 * Self.itemStages)
        }
        #expect(kills >= 20, "only \(kills) kills landed while the run was still going (reference run: \(referenceSeconds) s)")
        #expect(try await Self.run(sluice, ["run", crashed, "--quiet"]) == 0)

        // Outputs equal the reference byte for byte: the corpus, report.json, the digests, the
        // pseudobulk h5ad files and the two groups' merged digests.
        let reference = try Self.files(folder.file("reference/output"))
        let recovered = try Self.files(folder.file("crashed/output"))
        #expect(reference.count >= 8 * 4)
        #expect(reference.keys.filter { $0.hasSuffix("report.json") }.count == 8)
        #expect(reference.keys.filter { $0.hasSuffix("pseudobulk.h5ad") }.count == 8)
        #expect(Set(reference.keys.filter { $0.hasSuffix("merged.txt") }) == ["groups/g0/merge/merged.txt", "groups/g1/merge/merged.txt"])
        #expect(Set(reference.keys) == Set(recovered.keys))
        for (path, data) in reference { #expect(recovered[path] == data, "\(path) differs") }

        // Nothing left behind: no partial files, no inputs, no interim chunks.
        let everything = FileManager.default.enumerator(atPath: folder.file("crashed"))?.allObjects as? [String] ?? []
        #expect(everything.filter { $0.hasSuffix(".partial") }.isEmpty)
        #expect(try Self.files(folder.file("crashed/raw")).isEmpty)
        #expect(try Self.files(folder.file("crashed/interim")).isEmpty)

        // The ledger: every task done, each completed exactly once.
        let ledger = try SQLiteLedger(path: folder.file("crashed/sluice.db"))
        let everyTask = try await ledger.tasks()
        let tasks = everyTask.filter { !$0.isGroup }
        #expect(tasks.count == 8 * Self.itemStages)
        #expect(everyTask.filter(\.isGroup).count == 2)
        #expect(everyTask.allSatisfy { $0.state == .done })
        var completions: [TaskKey: Int] = [:]
        var after: Int64 = 0
        while true {
            let events = try await ledger.events(after: after, limit: 10_000)
            guard let last = events.last else { break }
            after = last.sequence
            for event in events where event.kind == "done" {
                if let item = event.item, let stage = event.stage { completions[TaskKey(item: item, stage: stage), default: 0] += 1 }
            }
        }
        // A per-group stage's member tasks finish with their group's task: one completion for each group.
        #expect(completions.count == 8 * (Self.itemStages - 1) + 2)
        #expect(completions.values.allSatisfy { $0 == 1 }, "\(completions.filter { $0.value != 1 })")
        #expect(try await ledger.artifacts(in: .released).isEmpty)
        try await server.shutdown()
    }

    /// The stages each item goes through (the per-group stage has one task per group).
    static let itemStages = 6
    /// The analysis stage's and the per-group stage's positions in the pipeline.
    static let analyzeStage = 3
    static let groupStage = 4

    /// SIGINT stops gracefully: running commands are stopped and given back (not failed), the
    /// exit status is 130, and the next run finishes the work.
    @Test func interruptGivesWorkBack() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-interrupt")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for index in 1...3 { try "\(index)\n".write(toFile: folder.file("in/f\(index).txt"), atomically: true, encoding: .utf8) }
        // The first run's commands leave a mark and sleep (they are interrupted); later runs copy at once.
        let marks = folder.file("marks")
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command:
                  name: slow
                  argv: [sh, -c, 'if [ ! -e "$2/$3" ]; then touch "$2/$3"; sleep 60; fi; cp "$0"/* "$1"/', "{in}", "{out}", "\(marks)", "{item}"]
                  outputs: ["*.txt"]
                  concurrency: 3
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let process = try Self.launch(sluice, ["run", folder.file("p.yaml"), "--quiet"])
        // Wait until all three commands run (their marks exist), then interrupt.
        let ledgerPath = folder.file("work/sluice.db")
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(120) {
            if ((try? FileManager.default.contentsOfDirectory(atPath: marks)) ?? []).count == 3 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGINT)
        #expect(await exitStatus(of: process) == 130)
        let ledger = try SQLiteLedger(path: ledgerPath)
        #expect(try await ledger.counts(stage: 1)[.pending] == 3)
        #expect(try await ledger.tasks().allSatisfy { $0.failure == nil })
        #expect(try await Self.run(sluice, ["run", folder.file("p.yaml"), "--quiet"]) == 0)
        #expect(try await ledger.counts(stage: 1)[.done] == 3)
    }

    /// The share of the item tasks not done yet (1 before the ledger exists).
    static func shareOfTasksToDo(ledger path: String, tasks: Int) async throws -> Double {
        guard FileManager.default.fileExists(atPath: path) else { return 1 }
        let done = try await SQLiteLedger(path: path).tasks().filter { !$0.isGroup && $0.state == .done }.count
        return Double(tasks - done) / Double(tasks)
    }

    /// Runs to the end; returns the exit status.
    static func run(_ binary: String, _ arguments: [String]) async throws -> Int32 {
        await exitStatus(of: try launch(binary, arguments))
    }

    /// Starts, waits `seconds`, and kills with SIGKILL; false when it had already finished.
    static func runAndKill(_ binary: String, _ arguments: [String], after seconds: Double) async throws -> Bool {
        let process = try launch(binary, arguments)
        try await Task.sleep(for: .seconds(seconds))
        let alive = process.isRunning
        if alive { kill(process.processIdentifier, SIGKILL) }
        _ = await exitStatus(of: process)
        return alive
    }

    /// Starts, and kills with SIGKILL as soon as the ledger shows a task of `stage` running;
    /// false when the run ended first.
    static func runAndKill(_ binary: String, _ arguments: [String], whileRunning stage: Int, ledger path: String) async throws -> Bool {
        let process = try launch(binary, arguments)
        // Opened once (each opening is a transaction of its own, slow on a busy machine).
        var ledger: SQLiteLedger?
        while process.isRunning {
            if ledger == nil, FileManager.default.fileExists(atPath: path) { ledger = try? SQLiteLedger(path: path) }
            if let tasks = try? await ledger?.tasks(), tasks.contains(where: { $0.stage == stage && $0.state == .running }) {
                kill(process.processIdentifier, SIGKILL)
                _ = await exitStatus(of: process)
                return true
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    static func launch(_ binary: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Regular files under `folder` (relative path → content).
    static func files(_ folder: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return result }
        while let name = walker.nextObject() as? String {
            let path = folder + "/" + name
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            result[name] = try Data(contentsOf: URL(fileURLWithPath: path))
        }
        return result
    }
}
