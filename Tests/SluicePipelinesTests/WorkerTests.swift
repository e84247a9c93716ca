import Foundation
import SluiceEngine
import SluiceFormats
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

/// `sluice worker`: several processes share one run through a PostgreSQL ledger, under one
/// disk budget for all of them, and a worker killed with `kill -9` loses nothing.
///
/// Runs the real `sluice` binary (built next to the tests: `swift build --product sluice`).
@Suite(.serialized, .enabled(if: PostgresTestServer.runs, "skipped: no PostgreSQL"))
struct WorkerTests {
    /// Three workers, one of them killed with SIGKILL while it holds work: the other two take
    /// its tasks back once its lease runs out, and finish. The outputs equal a lone `sluice run`'s
    /// byte for byte, every task is completed exactly once, and the workspace — sampled every
    /// 50 ms by `du`'s measure, not the engine's — never holds more than the budget.
    @Test func threeWorkersShareARunAndSurviveAKill() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-workers")
        let count = 9
        let corpus = try await ServedCorpus.start(count: count, in: folder)
        let (location, password) = try Self.sharedServer(schema: "w")
        // Room for a few items in flight, so that the quota the workers share is what holds them back.
        let total = Workspace.overheadSlack + 12 * corpus.largest + 1_000_000
        let environment = ["SLUICE_PG_PASSWORD": password]

        let reference = try await SluiceBinary.run(
            ["run", try corpus.pipeline("reference", ledger: nil, budget: total, slowMilliseconds: 5), "--quiet"], in: folder.path, timeout: 300)
        #expect(reference.status == 0, "\(reference.standardOutput)\(reference.standardError)")

        // Every digest waits for the gate, which opens once the first worker is dead: however
        // slowly the test polls a busy machine, that worker cannot finish the run on its own and
        // holds a task when it is killed.
        let gate = folder.file("gate")
        let shared = try corpus.pipeline(
            "shared", ledger: location.description, budget: total, slowMilliseconds: 5,
            digestPause: "while [ ! -e \(gate) ]; do sleep 0.05; done; ")
        let workspace = folder.file("shared")
        let peak = Mutex<Int64>(0)
        let sampling = Task {
            while !Task.isCancelled {
                let used = DuMeasure.measure(workspace).bytes
                peak.withLock { $0 = max($0, used) }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        func launch(_ index: Int) throws -> Process {
            try Self.launch(sluice, ["worker", shared, "--lease", "3"], environment: environment, log: folder.file("worker\(index).log"))
        }
        // The first worker dies with work in hand while the other two share the run with it. It
        // starts alone, so that it surely takes work however slowly a busy machine starts it;
        // once it holds a task the others join, and it is killed once both have registered.
        let ledger = try await PostgresLedger(location: location)
        func holding(_ process: Process) async -> Bool {
            let held = try? await ledger.workers().first { $0.worker.pid == Int(process.processIdentifier) }?.running
            return (held ?? 0) > 0
        }
        let first = try launch(0)
        var start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(180), first.isRunning, !(await holding(first)) { try await Task.sleep(for: .milliseconds(10)) }
        let workers = [first, try launch(1), try launch(2)]
        start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(180), first.isRunning {
            let pids = Set(((try? await ledger.workers()) ?? []).map(\.worker.pid))
            if pids.isSuperset(of: workers.map { Int($0.processIdentifier) }), await holding(first) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await holding(first), "the first worker holds no task before it is killed")
        kill(workers[0].processIdentifier, SIGKILL)
        _ = FileManager.default.createFile(atPath: gate, contents: Data())
        let statuses = [await exitStatus(of: workers[0]), await exitStatus(of: workers[1]), await exitStatus(of: workers[2])]
        sampling.cancel()
        let logs = (0..<3).map { (try? String(contentsOfFile: folder.file("worker\($0).log"), encoding: .utf8)) ?? "" }
        #expect(statuses[1] == 0 && statuses[2] == 0, "\(statuses)\n\(logs.joined(separator: "\n---\n"))")
        #expect(peak.withLock { $0 } <= total, "the workspace held \(peak.withLock { $0 }) bytes, more than its budget of \(total)")

        // The outputs equal the lone run's byte for byte.
        let expected = try Self.files(folder.file("reference/output"))
        let made = try Self.files(workspace + "/output")
        #expect(expected.count >= count * 2)
        #expect(Set(expected.keys) == Set(made.keys))
        for (path, data) in expected { #expect(made[path] == data, "\(path) differs") }
        #expect(try Self.files(workspace + "/raw").isEmpty)
        #expect(try Self.files(workspace + "/interim").isEmpty)

        // Every task done, each completed exactly once; the killed worker's tasks were taken back.
        #expect(try await ledger.tasks().allSatisfy { $0.state == .done })
        var completions: [TaskKey: Int] = [:]
        var reclaimed = 0
        for event in try await ledger.events(after: 0, limit: 100_000) {
            if event.kind == "done", let item = event.item, let stage = event.stage { completions[TaskKey(item: item, stage: stage), default: 0] += 1 }
            if event.kind == "reclaimed" { reclaimed += 1 }
        }
        #expect(completions.count == count * 4)
        #expect(completions.values.allSatisfy { $0 == 1 }, "\(completions.filter { $0.value != 1 })")
        #expect(reclaimed > 0, "the killed worker held no task")

        // `sluice status` lists the three workers: two stopped on their own, one silent.
        let status = try await SluiceBinary.run(["status", shared], in: folder.path, environment: environment)
        #expect(status.status == 0, "\(status.standardError)")
        #expect(status.standardOutput.components(separatedBy: "\n").filter { $0.contains(": stopped,") }.count == 2, "\(status.standardOutput)")
        #expect(status.standardOutput.contains("(pid \(workers[0].processIdentifier)): silent for"), "\(status.standardOutput)")
        try await ledger.dropSchema()
        await ledger.close()
        try await corpus.server.shutdown()
    }

    /// Three workers with node-local scratch folders of their own (`--scratch`): each keeps the
    /// items it fetched in its own folder, under its own scratch budget (sampled by `du` every
    /// 20 ms), and runs their next stages itself — another worker would not find their files.
    /// The first to hold such an item is killed: once its lease runs out, the others fetch its
    /// items again, and the outputs still equal a lone run's byte for byte.
    @Test func workersKeepTheirItemsOnTheirOwnScratch() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-scratch")
        let count = 8
        let corpus = try await ServedCorpus.start(count: count, in: folder)
        let (location, password) = try Self.sharedServer(schema: "n")
        let total = Workspace.overheadSlack + 20 * corpus.largest + 1_000_000
        let environment = ["SLUICE_PG_PASSWORD": password]
        let reference = try await SluiceBinary.run(
            ["run", try corpus.pipeline("reference", ledger: nil, budget: total, slowMilliseconds: 5), "--quiet"], in: folder.path, timeout: 300)
        #expect(reference.status == 0, "\(reference.standardOutput)\(reference.standardError)")

        // A download keeps its item's preprocess scratch free beside it (twice the file): a
        // scratch of 6 files holds two items at a time (DiskBudgetTests checks the bound itself).
        let scratchBudget = 6 * corpus.largest
        let shared = try corpus.pipeline("shared", ledger: location.description, budget: total, slowMilliseconds: 20, fetches: 4)
        let nodes = (0..<3).map { folder.file("node\($0)") }
        let peaks = Mutex<[Int64]>([0, 0, 0])
        let sampling = Task.detached {
            while !Task.isCancelled {
                for (index, node) in nodes.enumerated() {
                    let used = DuMeasure.measure(node).bytes
                    peaks.withLock { $0[index] = max($0[index], used) }
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let workers = try (0..<3).map {
            try Self.launch(
                sluice, ["worker", shared, "--lease", "3", "--scratch", nodes[$0], "--scratch-budget", "\(scratchBudget)"], environment: environment,
                log: folder.file("worker\($0).log"))
        }
        // The first worker to hold a fetched item whose preprocess has not run dies at once.
        let ledger = try await PostgresLedger(location: location)
        let start = ContinuousClock.now
        var killed: Int?
        while ContinuousClock.now - start < .seconds(60), killed == nil {
            let pins = (try? await ledger.pins()) ?? [:]
            let tasks = pins.isEmpty ? [] : (try? await ledger.tasks()) ?? []
            let waiting = Set(tasks.filter { $0.stage == 1 && $0.state != .done && $0.state != .running }.map(\.item))
            let fetched = Set(tasks.filter { $0.stage == 0 && $0.state == .done }.map(\.item))
            let holders = Set(pins.filter { waiting.contains($0.key) && fetched.contains($0.key) }.values)
            for status in (try? await ledger.workers()) ?? [] where holders.contains(status.worker.id) {
                killed = workers.firstIndex { Int($0.processIdentifier) == status.worker.pid }
            }
            if let killed { kill(workers[killed].processIdentifier, SIGKILL) }
            try await Task.sleep(for: .milliseconds(5))
        }
        let statuses = [await exitStatus(of: workers[0]), await exitStatus(of: workers[1]), await exitStatus(of: workers[2])]
        sampling.cancel()
        let logs = (0..<3).map { (try? String(contentsOfFile: folder.file("worker\($0).log"), encoding: .utf8)) ?? "" }
        let victim = try #require(killed, "no item was pinned to a worker within a minute")
        let survivors = [0, 1, 2].filter { $0 != victim }
        #expect(survivors.allSatisfy { statuses[$0] == 0 }, "\(statuses)\n\(logs.joined(separator: "\n---\n"))")
        for (index, peak) in peaks.withLock({ $0 }).enumerated() {
            #expect(peak <= scratchBudget + 64 * 4_096, "node \(index)'s scratch held \(peak) bytes, more than its budget of \(scratchBudget)")
        }
        #expect(survivors.contains { index in peaks.withLock { $0[index] > 0 } }, "the live workers fetched nothing into their scratch")

        // The outputs equal the lone run's; raw/ and interim/ were never in the shared workspace;
        // the live workers removed their scratch folders.
        let expected = try Self.files(folder.file("reference/output"))
        let made = try Self.files(folder.file("shared/output"))
        #expect(Set(expected.keys) == Set(made.keys))
        for (path, data) in expected { #expect(made[path] == data, "\(path) differs") }
        #expect(!FileManager.default.fileExists(atPath: folder.file("shared/raw")))
        for index in survivors { #expect(try FileManager.default.contentsOfDirectory(atPath: nodes[index]).isEmpty) }

        // The killed worker's pinned items went again from their fetch; every other task ran once.
        #expect(try await ledger.tasks().allSatisfy { $0.state == .done })
        #expect(try await ledger.pins().isEmpty)
        var completions: [TaskKey: Int] = [:]
        var restarted = Set<String>()
        for event in try await ledger.events(after: 0, limit: 100_000) {
            if event.kind == "done", let item = event.item, let stage = event.stage { completions[TaskKey(item: item, stage: stage), default: 0] += 1 }
            if event.kind == "restarted", let item = event.item, event.stage == 0 { restarted.insert(item) }
        }
        #expect(!restarted.isEmpty, "no item of the killed worker was fetched again")
        #expect(completions.count == count * 4)
        for (task, times) in completions {
            #expect(times == 1 || (times == 2 && restarted.contains(task.item)), "\(task) completed \(times) times")
        }
        try await ledger.dropSchema()
        await ledger.close()
        try await corpus.server.shutdown()
    }

    /// Three workers, each running two commands at a time that write 1 MB apiece, under a budget
    /// with room for two such files: without the quota they share, six would be on disk at once.
    /// `du`'s measure of the workspace, every 20 ms, never passes the budget, and every item is done.
    @Test func theBudgetHoldsForAllWorkersTogether() async throws {
        let folder = try TemporaryDirectory("sluice-quota")
        try Self.textItems(12, in: folder) { "\($0)\n" }
        let (location, password) = try Self.sharedServer(schema: "q")
        let blob = 1_000_000
        let total = Workspace.overheadSlack + Int64(blob) * 5 / 2 + 400_000
        let yaml = """
            workspace: ./work
            ledger: \(location)
            budget: {total: \(total)}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command:
                  name: fill
                  argv: [sh, -c, 'head -c \(blob) /dev/zero > "$0/blob"; sleep 0.4', "{out}"]
                  outputs: [blob]
                  area: interim
                  reserve: \(blob)
                  concurrency: 2
              - cleanup: {keep: [output]}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let run = try await Self.workers(3, running: folder.file("p.yaml"), password: password, sampling: folder.file("work"))
        #expect(run.statuses == [0, 0, 0], "\(run.statuses)\n\(run.logs)")
        #expect(run.peak.bytes <= total, "the workspace held \(run.peak.bytes) bytes, more than its budget of \(total)")
        let ledger = try await PostgresLedger(location: location)
        #expect(try await ledger.tasks().allSatisfy { $0.state == .done })
        // Each worker did some of the work.
        let owners = Set(try await ledger.events(after: 0, limit: 100_000).filter { $0.kind == "run-started" || $0.kind == "worker-started" }.map(\.message))
        #expect(owners.count == 3)
        try await ledger.dropSchema()
        await ledger.close()
    }

    /// Three workers under a bound on files and folders (`budget.files`): the quota they share
    /// counts the files of all of them, so the workspace never holds more entries than the bound,
    /// although fetching outruns the command and would pile up items in raw/ without it.
    @Test func theFileBoundHoldsForAllWorkersTogether() async throws {
        let folder = try TemporaryDirectory("sluice-shared-files")
        try Self.textItems(60, in: folder) { "\($0)\n" }
        let (location, password) = try Self.sharedServer(schema: "n")
        // The workspace's own entries, the logs' slack, and a few items in flight.
        let bound = 12 + Workspace.overheadEntrySlack + 40
        let yaml = """
            workspace: ./work
            ledger: \(location)
            budget: {total: 50MB, files: \(bound)}
            items:
              - directory: in
            stages:
              - fetch: {concurrency: 2}
              - command:
                  name: copy
                  argv: [sh, -c, 'sleep 0.2; cp "$0"/* "$1"/', "{in}", "{out}"]
                  area: interim
              - cleanup: {keep: []}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let run = try await Self.workers(3, running: folder.file("p.yaml"), password: password, sampling: folder.file("work"))
        #expect(run.statuses == [0, 0, 0], "\(run.statuses)\n\(run.logs)")
        let most = run.peak.entries
        #expect(most <= bound, "the workspace held \(most) files and folders, above budget.files = \(bound)")
        #expect(most > 12 + 10, "it never held more than a few items at once")
        let ledger = try await PostgresLedger(location: location)
        #expect(try await ledger.tasks().allSatisfy { $0.state == .done })
        try await ledger.dropSchema()
        await ledger.close()
    }

    /// Two workers share a run whose first three items fail for good, under a budget with room
    /// for three and a half items: once the failures' downloads hold three, no other download
    /// fits the quota the workers share. Waiting for that quota, a worker evicts them (oldest failure first), as one
    /// process does for its own books, and the other seven items finish.
    @Test func failedItemsInputsMakeRoomInTheSharedQuota() async throws {
        let folder = try TemporaryDirectory("sluice-shared-evict")
        try Self.textItems(10, in: folder) { String(repeating: "\($0)", count: 1_000_000) }
        let (location, password) = try Self.sharedServer(schema: "e")
        let total = Workspace.overheadSlack + 3_600_000
        let yaml = """
            workspace: ./work
            ledger: \(location)
            budget: {total: \(total)}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command:
                  name: digest
                  argv: [sh, -c, 'case "$0" in f0*|f1*|f2*) exit 4;; esac; sleep 0.3; sha256sum "$1"/* > "$2/sum"', "{item}", "{in}", "{out}"]
                  outputs: [sum]
                  reserve: 1kB
              - cleanup: {keep: [output]}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let run = try await Self.workers(2, running: folder.file("p.yaml"), password: password, sampling: folder.file("work"))
        let logs = run.logs
        // Items failed: 3, as `sluice run` exits.
        #expect(run.statuses.allSatisfy { $0 == 3 }, "\(run.statuses)\n\(logs)")
        let ledger = try await PostgresLedger(location: location)
        let tasks = try await ledger.tasks()
        let failed = Set(tasks.filter { $0.state == .failed }.map(\.item))
        #expect(failed == ["f0.txt", "f1.txt", "f2.txt"], "\(tasks.filter { $0.state != .done })\n\(logs)")
        #expect(tasks.filter { $0.stage == 1 && $0.state == .done }.count == 7)
        let evicted = try await ledger.events(after: 0, limit: 100_000).filter { $0.kind == "evicted" }.compactMap(\.item)
        #expect(!evicted.isEmpty && Set(evicted).isSubset(of: failed), "\(evicted)")
        #expect(run.peak.bytes <= total, "the workspace held \(run.peak.bytes) bytes, more than its budget of \(total)")
        try await ledger.dropSchema()
        await ledger.close()
    }

    /// A driver (`sluice run`, its own worker too) and three workers share a run on PostgreSQL
    /// while 20 `kill -9`s land on random ones among them, each restarted a moment later. The
    /// outputs equal an undisturbed run's byte for byte, every task is completed exactly once,
    /// and nothing is left behind: no partial file, no input, no released file not deleted.
    @Test func twentyKillsAcrossWorkersLoseNothing() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-worker-kills")
        let count = 10
        let corpus = try await ServedCorpus.start(count: count, in: folder)
        let (location, password) = try Self.sharedServer(schema: "k")
        func pipeline(_ name: String, ledger: String?) throws -> String {
            try corpus.pipeline(name, ledger: ledger, budget: 200_000_000, slowMilliseconds: 8, digestPause: "sleep 0.3; ")
        }
        let reference = try await SluiceBinary.run(["run", try pipeline("reference", ledger: nil), "--quiet"], in: folder.path, timeout: 300)
        #expect(reference.status == 0, "\(reference.standardOutput)\(reference.standardError)")

        let shared = try pipeline("shared", ledger: location.description)
        let environment = ["SLUICE_PG_PASSWORD": password]
        let ledger = try await PostgresLedger(location: location)
        // Slot 0 is the driver; 1–3 the workers. A slot whose process ended on its own stays empty.
        func start(_ slot: Int, _ generation: Int) throws -> Process {
            let arguments = slot == 0 ? ["run", shared, "--quiet"] : ["worker", shared, "--lease", "2", "--quiet"]
            return try Self.launch(sluice, arguments, environment: environment, log: folder.file("p\(slot)-\(generation).log"))
        }
        var processes = try (0..<4).map { try start($0, 0) }
        var random = SeededGenerator(seed: 20_261_205)
        var kills = 0
        var generation = 0
        let began = ContinuousClock.now
        while kills < 20, ContinuousClock.now - began < .seconds(240) {
            try await Task.sleep(for: .milliseconds(150 + Int(random.next() % 600)))
            let live = processes.indices.filter { processes[$0].isRunning }
            if live.isEmpty { break }
            let victim = live[Int(random.next() % UInt64(live.count))]
            kill(processes[victim].processIdentifier, SIGKILL)
            _ = await exitStatus(of: processes[victim])
            kills += 1
            generation += 1
            processes[victim] = try start(victim, generation)
        }
        #expect(kills >= 20, "only \(kills) kills landed before the run ended")
        // Then they finish undisturbed (a last driver makes sure nothing is left).
        var statuses: [Int32] = []
        for process in processes { statuses.append(await exitStatus(of: process)) }
        let last = try await SluiceBinary.run(["run", shared, "--quiet"], in: folder.path, timeout: 300, environment: environment)
        #expect(last.status == 0, "\(statuses) \(last.standardOutput)\(last.standardError)")

        let expected = try Self.files(folder.file("reference/output"))
        let made = try Self.files(folder.file("shared/output"))
        #expect(expected.count >= count * 2)
        #expect(Set(expected.keys) == Set(made.keys))
        for (path, data) in expected { #expect(made[path] == data, "\(path) differs") }
        let everything = FileManager.default.enumerator(atPath: folder.file("shared"))?.allObjects as? [String] ?? []
        #expect(everything.filter { $0.hasSuffix(".partial") }.isEmpty, "\(everything.filter { $0.hasSuffix(".partial") })")
        #expect(try Self.files(folder.file("shared/raw")).isEmpty)
        #expect(try Self.files(folder.file("shared/interim")).isEmpty)

        #expect(try await ledger.tasks().allSatisfy { $0.state == .done })
        let completions = try await Self.completions(in: ledger)
        #expect(completions.count == count * 4)
        #expect(completions.values.allSatisfy { $0 == 1 }, "\(completions.filter { $0.value != 1 })")
        #expect(try await ledger.artifacts(in: .released).isEmpty)
        try await ledger.dropSchema()
        await ledger.close()
        try await corpus.server.shutdown()
    }

    /// PostgreSQL restarted twice while two workers run: their calls fail over to new
    /// connections and are tried again, a lost answer is found in the ledger rather than made
    /// twice, and the run finishes with every task completed exactly once.
    @Test func workersRideThroughPostgresRestarts() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-pg-restart")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        let count = 16
        for index in 0..<count { try "item \(index)\n".write(toFile: folder.file("in/f\(index).txt"), atomically: true, encoding: .utf8) }
        // A server of its own: restarting the shared one would cut other tests' connections.
        let server = try PostgresTestServer.Private(port: 55442)
        defer { server.stop() }
        let location = try server.location(schema: "restarts")
        let password = try #require(URLComponents(string: server.url)?.password)
        let yaml = """
            workspace: ./work
            ledger: \(location)
            budget: {total: 50MB}
            items:
              - directory: in
            stages:
              - fetch: {concurrency: 2}
              - command:
                  name: slow
                  argv: [sh, -c, 'sleep 0.4; cp "$0"/* "$1"/', "{in}", "{out}"]
                  outputs: ["*.txt"]
                  concurrency: 2
              - cleanup: {keep: [output]}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let workers = try (0..<2).map {
            try Self.launch(
                sluice, ["worker", folder.file("p.yaml")], environment: ["SLUICE_PG_PASSWORD": password], log: folder.file("worker\($0).log"))
        }
        let ledger = try await PostgresLedger(location: location)
        var restarts = 0
        let start = ContinuousClock.now
        while restarts < 2, ContinuousClock.now - start < .seconds(120), workers.contains(where: \.isRunning) {
            let done = (try? await ledger.tasks().filter { $0.state == .done }.count) ?? 0
            if done >= (restarts + 1) * count {
                #expect(server.restart(), "the test server could not be restarted")
                restarts += 1
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        var statuses: [Int32] = []
        for worker in workers { statuses.append(await exitStatus(of: worker)) }
        let logs = (0..<2).map { (try? String(contentsOfFile: folder.file("worker\($0).log"), encoding: .utf8)) ?? "" }
        #expect(restarts == 2, "the run ended before two restarts")
        #expect(statuses == [0, 0], "\(statuses)\n\(logs.joined(separator: "\n---\n"))")
        #expect(try await ledger.tasks().allSatisfy { $0.state == .done })
        let completions = try await Self.completions(in: ledger)
        #expect(completions.count == count * 3)
        #expect(completions.values.allSatisfy { $0 == 1 }, "\(completions.filter { $0.value != 1 })")
        for index in 0..<count {
            let copy = try? String(contentsOfFile: folder.file("work/output/f\(index).txt/slow/f\(index).txt"), encoding: .utf8)
            #expect(copy == "item \(index)\n", "f\(index).txt")
        }
        try await ledger.dropSchema()
        await ledger.close()
    }

    /// Two items whose outputs stay, under a budget with room for one: the second can never fit
    /// beside the first. Its worker waits for the shared quota, sees that no other work runs
    /// that could free room, and fails the item — it does not give it back for ever — and the
    /// workers end with status 3, as a lone `sluice run` would.
    @Test func workWithNoRoomEverFailsInsteadOfWaitingForEver() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-no-room")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for name in ["a", "b"] { try "\(name)\n".write(toFile: folder.file("in/\(name).txt"), atomically: true, encoding: .utf8) }
        let (location, password) = try Self.sharedServer(schema: "n")
        let blob = 3_000_000
        let yaml = """
            workspace: ./work
            ledger: \(location)
            budget: {total: \(Workspace.overheadSlack + Int64(blob) * 3 / 2)}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command:
                  name: fill
                  argv: [sh, -c, 'head -c \(blob) /dev/zero > "$0/blob"', "{out}"]
                  outputs: [blob]
                  reserve: \(blob)
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let workers = try (0..<2).map {
            try Self.launch(
                sluice, ["worker", folder.file("p.yaml")], environment: ["SLUICE_PG_PASSWORD": password], log: folder.file("worker\($0).log"))
        }
        // Workers that gave the item back for ever would never end: after 120 s they are killed.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(120))
            for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) }
        }
        var statuses: [Int32] = []
        for worker in workers { statuses.append(await exitStatus(of: worker)) }
        watchdog.cancel()
        let logs = (0..<2).map { (try? String(contentsOfFile: folder.file("worker\($0).log"), encoding: .utf8)) ?? "" }
        #expect(statuses.contains(3) && statuses.allSatisfy { $0 == 0 || $0 == 3 }, "\(statuses)\n\(logs.joined(separator: "\n---\n"))")
        let ledger = try await PostgresLedger(location: location)
        // One item fills the budget; the other fails at whichever stage first meets the full
        // budget: its fill when both were fetched before, its fetch (which must leave room for
        // the fill) when the first fill was committed before it — the workers' timing decides.
        let tasks = try await ledger.tasks()
        #expect(tasks.filter { $0.stage == 1 && $0.state == .done }.count == 1)
        let failures = tasks.filter { $0.state == .failed }
        #expect(failures.count == 1, "\(failures)")
        let failed = try #require(failures.first?.failure)
        #expect(failed.code == "budget.never-fits" && failed.message.contains("no other work running"), "\(failed)")
        try await ledger.dropSchema()
        await ledger.close()
    }

    /// A worker started before its ledger's server (a SLURM job starting while the database
    /// restarts) waits for it and then works; with nothing to wait for, it says so and exits 2.
    @Test func aWorkerWaitsForItsLedgersServer() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-connect-wait")
        try Self.textItems(3, in: folder) { "\($0)\n" }
        let port = 55443
        let yaml = """
            workspace: ./work
            ledger: postgres://sluice@127.0.0.1:\(port)/sluice?schema=waits
            budget: {total: 50MB}
            items:
              - directory: in
            stages:
              - fetch: {}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        // Made, then halted: when it comes back, its role and password are there at once (a
        // server made afresh would answer before its role exists).
        let server = try PostgresTestServer.Private(port: port)
        defer { server.stop() }
        #expect(server.halt())
        let environment: [String: String?] = ["SLUICE_PG_PASSWORD": "sluice"]
        let gaveUp = try await SluiceBinary.run(
            ["worker", folder.file("p.yaml"), "--connect-wait", "1"], in: folder.path, timeout: 60, environment: environment)
        #expect(gaveUp.status == 2 && gaveUp.standardError.contains("ledger.unreachable"), "\(gaveUp.standardOutput)\(gaveUp.standardError)")
        let worker = try Self.launch(
            sluice, ["worker", folder.file("p.yaml"), "--connect-wait", "60"], environment: ["SLUICE_PG_PASSWORD": "sluice"],
            log: folder.file("worker.log"))
        try await Task.sleep(for: .seconds(1))
        #expect(server.resume())
        let status = await exitStatus(of: worker)
        let log = (try? String(contentsOfFile: folder.file("worker.log"), encoding: .utf8)) ?? ""
        #expect(status == 0 && log.contains("waiting up to 60 s"), "\(status)\n\(log)")
    }

    /// A fresh schema (named `prefix` and random letters) on the shared test server, and its password.
    static func sharedServer(schema prefix: String) throws -> (PostgresLocation, String) {
        let schema = prefix + "_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
        let password = try #require(PostgresTestServer.url.flatMap { URLComponents(string: $0)?.password })
        return (try PostgresTestServer.location(schema: schema), password)
    }

    /// Runs `count` workers of `pipeline` on the shared PostgreSQL server to their end (killed
    /// after five minutes) while `du` of `workspace` is sampled every 20 ms: their exit statuses,
    /// their logs and the most allocated bytes and entries the workspace held.
    static func workers(_ count: Int, running pipeline: String, password: String, sampling workspace: String) async throws -> (
        statuses: [Int32], logs: String, peak: (bytes: Int64, entries: Int)
    ) {
        let folder = (pipeline as NSString).deletingLastPathComponent
        let peak = Mutex<(bytes: Int64, entries: Int)>((0, 0))
        let sampling = Task {
            while !Task.isCancelled {
                let used = DuMeasure.measure(workspace)
                peak.withLock { $0 = (max($0.bytes, used.bytes), max($0.entries, used.entries)) }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let workers = try (0..<count).map {
            try launch(
                try SluiceBinary.path(), ["worker", pipeline, "--lease", "5"], environment: ["SLUICE_PG_PASSWORD": password],
                log: folder + "/worker\($0).log")
        }
        // Workers that have not finished in five minutes are stuck: killed, and said so.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(300))
            for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) }
            Issue.record("the workers did not finish within 300 s")
        }
        var statuses: [Int32] = []
        for worker in workers { statuses.append(await exitStatus(of: worker)) }
        watchdog.cancel()
        sampling.cancel()
        _ = await sampling.result
        let logs = (0..<count).map { (try? String(contentsOfFile: folder + "/worker\($0).log", encoding: .utf8)) ?? "" }
        return (statuses, logs.joined(separator: "\n---\n"), peak.withLock { $0 })
    }

    /// `count` small text files, `in/f0.txt` … , whose text `text(index)` gives.
    static func textItems(_ count: Int, in folder: TemporaryDirectory, text: (Int) -> String) throws {
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for index in 0..<count { try text(index).write(toFile: folder.file("in/f\(index).txt"), atomically: true, encoding: .utf8) }
    }

    /// How many times each task was completed, from the ledger's `done` events.
    static func completions(in ledger: any Ledger) async throws -> [TaskKey: Int] {
        var completions: [TaskKey: Int] = [:]
        for event in try await ledger.events(after: 0, limit: 1_000_000) where event.kind == "done" {
            if let item = event.item, let stage = event.stage { completions[TaskKey(item: item, stage: stage), default: 0] += 1 }
        }
        return completions
    }

    /// Starts `binary` with `environment` added to this process's, its output and errors in `log`.
    static func launch(_ binary: String, _ arguments: [String], environment: [String: String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Regular files under `folder` (relative path → content).
    static func files(_ folder: String) throws -> [String: Data] {
        try CrashSafetyTests.files(folder)
    }
}

/// Synthetic datasets served over loopback, and the corpus pipeline the worker tests run on them:
/// fetch, preprocess, a digest of the shards, cleanup.
struct ServedCorpus {
    let folder: TemporaryDirectory
    let server: LoopbackServer
    let count: Int
    /// The largest dataset's allocated bytes.
    let largest: Int64

    /// Writes `count` datasets of growing size under `folder/served` and serves them.
    static func start(count: Int, in folder: TemporaryDirectory) async throws -> ServedCorpus {
        let served = folder.file("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        for index in 0..<count {
            try SyntheticCounts(cells: 2_000 + 200 * index, genes: 300, density: 0.1, seed: UInt64(index + 1)).write(to: served + "/s\(index).h5ad")
        }
        let largest = DuMeasure.measure(served + "/s\(count - 1).h5ad").bytes
        return ServedCorpus(folder: folder, server: try await LoopbackServer.start(root: served), count: count, largest: largest)
    }

    /// Writes the pipeline file `name.yaml` (workspace `./name`); its downloads pause
    /// `slowMilliseconds` between 64 KiB pieces, and `digestPause` runs before each digest.
    func pipeline(_ name: String, ledger: String?, budget: Int64, slowMilliseconds: Int, digestPause: String = "", fetches: Int = 2) throws -> String {
        let items = (0..<count).map { "  - {url: \"\(server.url("slow/\(slowMilliseconds)/s\($0).h5ad"))\"}" }.joined(separator: "\n")
        let yaml = """
            workspace: ./\(name)
            \(ledger.map { "ledger: \($0)" } ?? "")
            budget: {total: \(budget)}
            items:
            \(items)
            stages:
              - fetch: {concurrency: \(fetches)}
              - preprocess: {chunk_size: 1000, top_genes: 64, test_size: 0.2, vocabulary: \(try Fixtures.syntheticTokenDictionary(genes: 300, at: folder.file("tokens.json")))}
              - command:
                  name: digest
                  argv: [sh, -c, '\(digestPause)cat "$0"/train/chunks/*.parquet | sha256sum > "$1/digest.txt"', "{in}", "{out}"]
                  outputs: [digest.txt]
              - cleanup: {keep: [output]}
            """
        let path = folder.file("\(name).yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
