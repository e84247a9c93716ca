import Foundation
import SluiceEngine
import SluiceFormats
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

/// 20 generated pipelines — random item sizes, random permanent failures (a 404, a program that
/// exits 1) and transient ones (an HTTP 500, a connection reset), a random budget with a quota on
/// `raw/` — each run once undisturbed and once under random `kill -9`s, while a sampler measures
/// the workspace every 50 ms: its allocated bytes never exceed the budget, nor `raw/` its quota;
/// no item is left unfinished; the same items fail; and the outputs equal the undisturbed run's.
/// The quota on `raw/` is the tight bound here (runs peak within a few percent of it); the total
/// keeps 2 MiB for the ledger's write-ahead log and log lines, more than these small runs use.
///
/// Runs the real `sluice` binary (built next to the tests: `swift build --product sluice`).
@Suite(.serialized) struct RandomizedRunsTests {
    /// One generated pipeline.
    struct Scenario {
        var items: [(name: String, path: String)] = []
        /// Items that can never succeed.
        var doomed: Set<String> = []
        var total: Int64 = 0
        var rawQuota: Int64 = 0
    }

    static func scenario(_ random: inout SeededGenerator, served: String) throws -> Scenario {
        var scenario = Scenario()
        let count = 8 + Int(random.next() % 9)
        var sizes: [Int] = []
        for index in 0..<count {
            let size = 5_000 + Int(random.next() % 250_000)
            sizes.append(size)
            let name = String(format: "item%02d", index)
            try PipelineHarness.bytes(size, seed: UInt8(truncatingIfNeeded: random.next())).write(to: URL(fileURLWithPath: "\(served)/\(name).bin"))
            switch random.next() % 10 {
            case 0:
                scenario.items.append((name, "status/404/\(name).bin"))
                scenario.doomed.insert(name)
            case 1:
                // The command stage fails items whose name starts with "bad".
                let bad = "bad" + name
                try FileManager.default.copyItem(atPath: "\(served)/\(name).bin", toPath: "\(served)/\(bad).bin")
                scenario.items.append((bad, "\(bad).bin"))
                scenario.doomed.insert(bad)
            case 2: scenario.items.append((name, "fail/1/\(name).bin"))
            case 3: scenario.items.append((name, "reset/1/\(name).bin"))
            default: scenario.items.append((name, "slow/1/\(name).bin"))
            }
        }
        // Room for every item's output (a quarter of it, kept), the ledger and logs, and a few
        // items in flight; raw/ holds about two items at once.
        let largest = Int64(sizes.max() ?? 0)
        let outputs = sizes.reduce(Int64(0)) { $0 + DiskUsage.allocation(forLength: Int64($1 / 4)) + 3 * DiskUsage.blockSize }
        scenario.total = Workspace.overheadSlack + (1 << 20) + outputs + largest * Int64(3 + random.next() % 3)
        scenario.rawQuota = 2 * (largest + 3 * DiskUsage.blockSize) + Int64(random.next() % 200_000)
        return scenario
    }

    /// An attempt cut short by a `kill -9` counts as an attempt, so the fetch has retries for up
    /// to three kills and a transient fault.
    static func pipeline(_ scenario: Scenario, server: LoopbackServer, workspace: String, folder: String) throws -> String {
        let items = scenario.items.map { "  - {name: \($0.name), url: \"\(server.url($0.path))\"}" }.joined(separator: "\n")
        let yaml = """
            workspace: ./\(workspace)
            budget: {total: \(scenario.total), areas: {raw: \(scenario.rawQuota)}}
            items:
            \(items)
            stages:
              - fetch: {concurrency: 2, retries: 5}
              - command:
                  name: quarter
                  argv: [sh, -c, 'case "$2" in bad*) echo "cannot read $2" >&2; exit 1;; esac; f=$(ls "$0"/*); head -c $(( $(wc -c < "$f") / 4 )) "$f" > "$1/quarter.bin"', "{in}", "{out}", "{item}"]
                  outputs: [quarter.bin]
                  output_ratio: 0.3
                  concurrency: 2
              - cleanup: {keep: [output]}
            """
        let path = folder + "/\(workspace).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func twentyRandomPipelinesKeepTheBudgetAndLoseNothing() async throws {
        let sluice = try SluiceBinary.path()
        var random = SeededGenerator(seed: 2_026_1205)
        for round in 0..<20 {
            let folder = try TemporaryDirectory("sluice-random")
            let served = folder.file("served")
            try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
            let scenario = try Self.scenario(&random, served: served)
            let server = try await LoopbackServer.start(root: served)
            let context = "round \(round): \(scenario.items.count) items, \(scenario.doomed.count) doomed, budget \(scenario.total), raw \(scenario.rawQuota)"

            // The undisturbed run.
            let reference = try Self.pipeline(scenario, server: server, workspace: "reference", folder: folder.path)
            let expectedStatus: Int32 = scenario.doomed.isEmpty ? 0 : 3
            #expect(try await CrashSafetyTests.run(sluice, ["run", reference, "--quiet"]) == expectedStatus, "\(context)")

            // The same pipeline killed 1–3 times at random moments, then run to its end, sampled all along.
            let crashed = try Self.pipeline(scenario, server: server, workspace: "crashed", folder: folder.path)
            let workspace = folder.file("crashed")
            let peak = Mutex<(whole: Int64, raw: Int64)>((0, 0))
            let sampler = Task {
                while !Task.isCancelled {
                    let whole = DuMeasure.measure(workspace).bytes
                    let raw = DuMeasure.measure(workspace + "/raw").bytes
                    peak.withLock { $0 = (max($0.whole, whole), max($0.raw, raw)) }
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let delay = 0.05 + Double(random.next() % 600) / 1000
                if try await !CrashSafetyTests.runAndKill(sluice, ["run", crashed, "--quiet"], after: delay) { break }
            }
            let status = try await CrashSafetyTests.run(sluice, ["run", crashed, "--quiet"])
            sampler.cancel()
            _ = await sampler.result
            try await server.shutdown()
            #expect(status == expectedStatus, "\(context)")

            let (whole, raw) = peak.withLock { $0 }
            #expect(whole <= scenario.total, "\(context): the workspace peaked at \(whole) bytes")
            #expect(raw <= scenario.rawQuota, "\(context): raw/ peaked at \(raw) bytes")

            // Every item finished or failed for good — the same ones as undisturbed — and the outputs are equal.
            let tasks = try await SQLiteLedger(path: workspace + "/sluice.db").tasks()
            let stuck = tasks.filter { ![.done, .failed, .blocked].contains($0.state) }
            #expect(stuck.isEmpty, "\(context): \(stuck.prefix(3))")
            let failedTasks = tasks.filter { $0.state == .failed }
            #expect(Set(failedTasks.map(\.item)) == scenario.doomed, "\(context): \(failedTasks.map { "\($0.item)#\($0.stage): \($0.failure?.message ?? "")" })")
            let expected = try CrashSafetyTests.files(folder.file("reference/output"))
            #expect(expected.count == scenario.items.count - scenario.doomed.count, "\(context)")
            #expect(try CrashSafetyTests.files(workspace + "/output") == expected, "\(context)")
        }
    }
}
