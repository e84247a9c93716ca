import Foundation
import GRDB
import SluiceEngine
import SluiceFormats
import SluiceLoopback
import SluiceTestSupport
import Synchronization
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
        // The analysis and the per-group command leave a mark when they start (in a folder of the
        // workspace's own), so that the test sees them running without polling the ledger — a
        // poll on a busy machine can miss a short task altogether.
        func pipeline(_ workspace: String) throws -> String {
            let marks = folder.file("\(workspace)-marks")
            try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
            let analysis = folder.file("\(workspace)-analysis.sh")
            try "#!/bin/sh\ntouch '\(marks)/analysis'\nsleep 0.3\nexec '\(sluice)' \"$@\"\n".write(toFile: analysis, atomically: true, encoding: .utf8)
            chmod(analysis, 0o755)
            let items = (0..<8).map { "  - {url: \"\(server.url("slow/4/sample\($0).h5ad"))\", group: g\($0 % 2)}" }.joined(separator: "\n")
            let yaml = """
                workspace: ./\(workspace)
                budget: {total: 200MB}
                items:
                \(items)
                stages:
                  - fetch: {concurrency: 2}
                  - preprocess: {chunk_size: 1000, top_genes: 64, test_size: 0.2, vocabulary: \(try Fixtures.syntheticTokenDictionary(genes: 300, at: folder.file("tokens.json")))}
                  - command:
                      name: digest
                      argv: [sh, -c, 'cat "$0"/train/chunks/*.parquet | sha256sum > "$1/digest.txt"', "{in}", "{out}"]
                      outputs: [digest.txt]
                  - analyze:
                      run: pseudobulk
                      from: fetch
                      executable: \(analysis)
                      options: {by: cell_type, min_cells: 1, min_counts: 0}
                  - command:
                      name: merge
                      per: group
                      from: digest
                      argv: [sh, -c, 'out="$0"; shift; touch "\(marks)/merge"; sleep 0.5; cat "$@" | sort | sha256sum > "$out/merged.txt"', "{out}", "{outs}/digest.txt"]
                      outputs: [merged.txt]
                  - cleanup: {keep: [output]}
                """
            let path = folder.file("\(workspace).yaml")
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        // The reference: one uninterrupted run.
        let clock = ContinuousClock.now
        let referenceStatus = try await Self.run(sluice, ["run", try pipeline("reference"), "--quiet"])
        let referenceFailures = referenceStatus == 0 ? "" : try await Self.failures(in: folder.file("reference/sluice.db"))
        #expect(referenceStatus == 0, "\(referenceFailures)")
        let referenceSeconds = (ContinuousClock.now - clock) / .seconds(1)

        // The same pipeline killed with SIGKILL 20 times, restarted each time: while an analysis
        // runs, at random moments, while a per-group stage runs (once the earlier kills left its
        // first group complete), and at random moments again.
        let crashed = try pipeline("crashed")
        let ledgerPath = folder.file("crashed/sluice.db")
        var random = SeededGenerator(seed: 20_261_123)
        var kills = 0
        var seen: [String] = []
        func killAtRandom(until target: Int) async throws {
            var attempts = 0
            var remaining = try await Self.shareOfTasksToDo(ledger: ledgerPath, tasks: 8 * Self.itemStages)
            while kills < target && attempts < 60 {
                attempts += 1
                // Every restart carries the work forward, so the window a kill is drawn from
                // shrinks with the share of tasks still to do; and a kill lands at the latest
                // when one more task is done, so that a busy machine, where a restart may finish
                // more than the drawn moment foresaw, cannot end the run before 20 kills.
                let window = 0.04 + Double(random.next() % 1000) / 1000 * min(0.8, referenceSeconds * 0.25)
                let delay = 0.01 + window * remaining
                guard try await Self.runAndKill(sluice, ["run", crashed, "--quiet"], after: delay, orOnceMoreDone: ledgerPath) else { return }
                kills += 1
                remaining = try await Self.shareOfTasksToDo(ledger: ledgerPath, tasks: 8 * Self.itemStages)
            }
        }
        func killWhileRunning(_ stage: String) async throws {
            guard try await Self.runAndKill(sluice, ["run", crashed, "--quiet"], onceMarked: folder.file("crashed-marks/\(stage)")) else { return }
            kills += 1
            seen.append(stage)
        }
        try await killWhileRunning("analysis")
        try await killAtRandom(until: 10)
        try await killWhileRunning("merge")
        try await killAtRandom(until: 20)
        #expect(seen == ["analysis", "merge"], "the runs ended before the analysis and the per-group stage were both seen running: \(seen)")
        let left = try await Self.shareOfTasksToDo(ledger: ledgerPath, tasks: 8 * Self.itemStages)
        print("kill -9 test: \(kills) kills landed, with \(Int((left * Double(8 * Self.itemStages)).rounded())) of \(8 * Self.itemStages) item tasks still to do")
        #expect(kills >= 20, "only \(kills) kills landed while the run was still going (reference run: \(referenceSeconds) s)")
        #expect(try await Self.run(sluice, ["run", crashed, "--quiet"]) == 0)

        // Outputs equal the reference byte for byte: the corpus, the report.json files, the
        // digests, the pseudobulk h5ad files and the two groups' merged digests.
        let reference = try Self.files(folder.file("reference/output"))
        let recovered = try Self.files(folder.file("crashed/output"))
        #expect(reference.count >= 8 * 4)
        // Each item's preprocess report.json, and the one its analysis wrote beside its outputs.
        #expect(reference.keys.filter { $0.hasSuffix("report.json") }.count == 8 * 2)
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

    /// The failed tasks of the ledger at `path`, with their errors, one per line.
    static func failures(in path: String) async throws -> String {
        try await SQLiteLedger(path: path).tasks().filter { $0.state == .failed }
            .map { "\($0.item) stage \($0.stage): \($0.failure.map { "\($0.code) \($0.message)" } ?? "")" }.joined(separator: "\n")
    }

    /// Runs to the end; returns the exit status.
    static func run(_ binary: String, _ arguments: [String]) async throws -> Int32 {
        await exitStatus(of: try launch(binary, arguments))
    }

    /// Starts, and kills with SIGKILL after `seconds` or, given a ledger's `path`, as soon as it
    /// shows one more task done than at the start (looked at every 2 ms), whichever comes first;
    /// false when it had already finished.
    static func runAndKill(_ binary: String, _ arguments: [String], after seconds: Double, orOnceMoreDone path: String? = nil) async throws -> Bool {
        let ledger = Mutex<DatabaseQueue?>(nil)
        // Read directly (not through SQLiteLedger's async calls), so that the look is cheap and
        // done on the waiting thread.
        let done: @Sendable () -> Int = {
            guard let path, FileManager.default.fileExists(atPath: path) else { return 0 }
            return ledger.withLock { queue in
                if queue == nil {
                    var configuration = Configuration()
                    configuration.readonly = true
                    queue = try? DatabaseQueue(path: path, configuration: configuration)
                }
                let count = try? queue?.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tasks WHERE state = 'done'") }
                return (count ?? nil) ?? 0
            }
        }
        let before = done()
        let start = ContinuousClock.now
        let killed = try await killWhen(binary, arguments) {
            ContinuousClock.now - start >= .seconds(seconds) || done() > before ? true : nil
        }
        return killed ?? false
    }

    /// Removes the file `mark`, starts, and kills with SIGKILL as soon as `mark` exists again;
    /// false when the run ended first.
    static func runAndKill(_ binary: String, _ arguments: [String], onceMarked mark: String) async throws -> Bool {
        try? FileManager.default.removeItem(atPath: mark)
        return try await killWhen(binary, arguments) { FileManager.default.fileExists(atPath: mark) ? true : nil } ?? false
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
