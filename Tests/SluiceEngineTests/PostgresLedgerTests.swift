import Foundation
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

@testable import SluiceEngine

/// What only a shared ledger must survive: workers claiming at once from one schema, and
/// connections that break mid-transaction. (Every other behaviour is checked on it by
/// ``LedgerTests``.)
@Suite(.enabled(if: PostgresTestServer.runs, "skipped: no PostgreSQL"))
struct PostgresLedgerTests {
    private static func items(_ count: Int) -> [ItemSpec] {
        (0..<count).map { ItemSpec(name: String(format: "item%04d", $0), sources: ["http://x/\($0)"], size: 10) }
    }

    /// `workers` ledgers on one schema each claim and complete until nothing is left.
    private static func drain(_ ledgers: [any Ledger], stage: Int = 0) async throws -> [String: Int] {
        try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, ledger) in ledgers.enumerated() {
                group.addTask {
                    var done: [String] = []
                    while let task = try await ledger.claim(stage: stage, owner: "w\(index)", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 600, now: 1).first {
                        // Each completion ingests one record, in its transaction.
                        let record = IngestRecord(collection: "docs", item: task.item.name, name: "text", content: task.item.name)
                        try await ledger.complete(task.key, by: "w\(index)", artifacts: [], releasing: [], ingesting: [record], now: 2)
                        done.append(task.item.name)
                    }
                    return done
                }
            }
            var counts: [String: Int] = [:]
            for try await names in group { for name in names { counts[name, default: 0] += 1 } }
            return counts
        }
    }

    private static func schema() -> String { "t_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "") }

    /// Four workers (one connection each) share 400 tasks: every task is taken by exactly one
    /// of them, once, and all four get work (no worker waits for another's locks).
    @Test func workersClaimEachTaskExactlyOnce() async throws {
        let location = try PostgresTestServer.location(schema: Self.schema())
        var ledgers: [any Ledger] = []
        for _ in 0..<4 { ledgers.append(try await PostgresLedger(location: location)) }
        try await ledgers[0].register(items: Self.items(400), stageNames: ["fetch", "work"], groupStages: [], barrierStages: [], now: 0)
        let counts = try await Self.drain(ledgers)
        #expect(counts.count == 400)
        #expect(counts.values.allSatisfy { $0 == 1 })
        let tasks = try await ledgers[0].tasks().filter { $0.stage == 0 }
        #expect(tasks.allSatisfy { $0.state == .done && $0.attempts == 1 })
        let claimedBy = try await ledgers[0].events(after: 0, limit: 10_000).filter { $0.kind == "claimed" }.count
        #expect(claimedBy == 400)
    }

    /// Every connection of the test's ledgers is cut, again and again, while two workers drain 300
    /// tasks: each write is tried again on a new connection, so every task is still done
    /// exactly once, in one attempt, with one `claimed` and one `done` event — a transaction cut
    /// before its commit runs again, one whose commit was made but not answered is not.
    @Test func brokenConnectionsCostRetriesNeverATransition() async throws {
        let url = try #require(PostgresTestServer.url.flatMap(URLComponents.init(string:)))
        let location = try PostgresTestServer.location(schema: Self.schema())
        let ledgers: [any Ledger] = [try await PostgresLedger(location: location), try await PostgresLedger(location: location)]
        try await ledgers[0].register(items: Self.items(300), stageNames: ["fetch", "work"], groupStages: [], barrierStages: [], now: 0)
        /// Runs one statement with psql; its output.
        @Sendable func psql(_ statement: String) -> String {
            let psql = Process()
            psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
            psql.arguments = [
                "-X", "-q", "-tA", "-h", url.host ?? "127.0.0.1", "-p", "\(url.port ?? 5432)", "-U", url.user ?? "", "-d", String(url.path.dropFirst()),
                "-c", statement,
            ]
            psql.environment = ["PGPASSWORD": url.password ?? ""]
            let output = Pipe()
            psql.standardOutput = output
            psql.standardError = FileHandle.nullDevice
            guard (try? psql.run()) != nil else { return "" }
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            psql.waitUntilExit()
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Each cut waits for a transition made since the one before: however slow the machine,
        // the workers always get one call through between two cuts.
        let cutter = Task.detached {
            var cuts = 0
            var done = -1
            while !Task.isCancelled {
                // Grows by one with each claim (pending → running) and each completion (→ done).
                // psql is waited for off the cooperative pool, which the workers' tasks need.
                let counted = try? await offThePool {
                    psql("SELECT count(*) FILTER (WHERE state = 'running') + 2 * count(*) FILTER (WHERE state = 'done') FROM \(location.schema).tasks")
                }
                let now = counted.flatMap { Int($0) } ?? done
                if now > done {
                    _ = try? await offThePool {
                        psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sluice \(location.schema)'")
                    }
                    cuts += 1
                    done = now
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return cuts
        }
        let counts = try await Self.drain(ledgers)
        cutter.cancel()
        let cuts = await cutter.value
        #expect(cuts >= 5, "the connections were cut only \(cuts) times")
        #expect(counts.count == 300)
        #expect(counts.values.allSatisfy { $0 == 1 })
        let tasks = try await ledgers[0].tasks().filter { $0.stage == 0 }
        #expect(tasks.allSatisfy { $0.state == .done && $0.attempts == 1 }, "\(tasks.filter { $0.attempts != 1 }.map(\.item))")
        let events = try await ledgers[0].events(after: 0, limit: 10_000)
        #expect(events.filter { $0.kind == "claimed" }.count == 300)
        #expect(events.filter { $0.kind == "done" }.count == 300)
        let records = try await ledgers[0].ingested(collection: "docs")
        #expect(records.count == 300 && Set(records.map(\.item)).count == 300)
    }

    /// Every third commit's answer is lost on the way back (the connection breaks after the
    /// server committed): the write, tried again, finds its own result and returns it instead of
    /// claiming or completing a second time.
    @Test func aCommitWhoseAnswerIsLostIsNotMadeTwice() async throws {
        let location = try PostgresTestServer.location(schema: Self.schema())
        let commits = Atomic(0)
        let ledger = try await PostgresLedger(location: location, losesAnswer: { commits.add(1, ordering: .relaxed).newValue % 3 == 0 })
        try await ledger.register(items: Self.items(60), stageNames: ["fetch", "work"], groupStages: [], barrierStages: [], now: 0)
        let counts = try await Self.drain([ledger])
        #expect(counts.count == 60 && counts.values.allSatisfy { $0 == 1 })
        #expect(commits.load(ordering: .relaxed) > 120, "no answer was lost")
        let tasks = try await ledger.tasks().filter { $0.stage == 0 }
        #expect(tasks.allSatisfy { $0.state == .done && $0.attempts == 1 })
        let events = try await ledger.events(after: 0, limit: 10_000)
        #expect(events.filter { $0.kind == "claimed" }.count == 60)
        #expect(events.filter { $0.kind == "done" }.count == 60)
        // Each record is stored once, though a third of the answers were lost after the commit.
        let records = try await ledger.ingested(collection: "docs")
        #expect(records.count == 60 && Set(records.map(\.item)).count == 60)
    }

    /// A pipeline whose `ledger:` is PostgreSQL runs to its end; the workspace records where its
    /// ledger is (without the password), and a second run finds everything done.
    @Test func aPipelineRunsOnAPostgresLedgerAndResumes() async throws {
        var files: [String: Data] = [:]
        for index in 0..<12 { files["f\(index)"] = PipelineHarness.bytes(2_000, seed: UInt8(index)) }
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let location = try PostgresTestServer.location(schema: Self.schema())
        let password = try #require(PostgresTestServer.url.flatMap { URLComponents(string: $0)?.password })
        setenv("SLUICE_PG_PASSWORD", password, 1)
        let items = (0..<12).map { "  - {url: \"\(harness.server.url("f\($0)"))\"}" }.joined(separator: "\n")
        let path = try harness.pipeline(
            """
            workspace: ./work
            ledger: \(location)
            budget: {total: 20MB}
            items:
            \(items)
            stages:
              - fetch: {concurrency: 2}
              - copy: {name: keep, area: output}
              - cleanup: {keep: [output]}
            """)
        let first = try await harness.run(path)
        #expect(first.items.count == 12 && first.items.allSatisfy { $0.state == .done }, "\(first.items.map(\.reason))")
        #expect(!FileManager.default.fileExists(atPath: harness.folder.file("work/sluice.db")))
        let record = try String(contentsOfFile: harness.folder.file("work/\(LedgerLocation.recordName)"), encoding: .utf8)
        #expect(record == location.description + "\n")
        #expect(!record.contains(":\(password)@"))
        #expect(try LedgerLocation.recorded(in: Workspace(root: harness.folder.file("work"))) == .postgres(location))
        let ledger = try await PostgresLedger(location: location)
        let claims = try await ledger.events(after: 0, limit: 10_000).filter { $0.kind == "claimed" }.count
        #expect(claims >= 12 * 2)
        let again = try await harness.run(path)
        #expect(again.items.allSatisfy { $0.state == .done })
        #expect(try await ledger.events(after: 0, limit: 10_000).filter { $0.kind == "claimed" }.count == claims, "the second run did work again")
        try await harness.stop()
    }

    /// The server restarts between two calls (every connection is dropped, and for a moment
    /// nothing listens): the next call connects again and succeeds.
    @Test func aLedgerReconnectsAfterTheServerRestarts() async throws {
        let server = try PostgresTestServer.Private(port: 55441)
        defer { server.stop() }
        let ledger = try await PostgresLedger(location: try server.location(schema: Self.schema()))
        try await ledger.register(items: Self.items(4), stageNames: ["fetch"], groupStages: [], barrierStages: [], now: 0)
        #expect(try await ledger.claim(stage: 0, owner: "a", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1).count == 1)
        #expect(server.restart(), "the test server could not be restarted")
        let clock = ContinuousClock.now
        #expect(try await ledger.claim(stage: 0, owner: "a", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 2).count == 1)
        #expect(ContinuousClock.now - clock < .seconds(30))
        await ledger.close()
    }

    /// A server that wants a password, with none in SLUICE_PG_PASSWORD or ~/.pgpass: one
    /// sentence that says where to put it.
    @Test func aMissingPasswordIsExplained() async throws {
        let url = try #require(PostgresTestServer.url.flatMap(URLComponents.init(string:)))
        let folder = try TemporaryDirectory()
        let location = try PostgresLocation(
            "postgres://\(url.user ?? "")@\(url.host ?? ""):\(url.port ?? 5432)\(url.path)?schema=\(Self.schema())", environment: [:], home: folder.path)
        let error = await #expect(throws: LedgerError.self) { _ = try await PostgresLedger(location: location) }
        #expect(error?.message.contains("set SLUICE_PG_PASSWORD, or add the ledger to ~/.pgpass") == true, "\(error?.message ?? "")")
        try "\(url.host ?? ""):\(url.port ?? 5432):*:\(url.user ?? ""):\(url.password ?? "")\n".write(toFile: folder.file(".pgpass"), atomically: true, encoding: .utf8)
        let withFile = try PostgresLocation(
            "postgres://\(url.user ?? "")@\(url.host ?? ""):\(url.port ?? 5432)\(url.path)?schema=\(Self.schema())", environment: [:], home: folder.path)
        _ = try await PostgresLedger(location: withFile)
    }

    /// The password is never in what Sluice prints: not in the location, not in an error.
    @Test func thePasswordIsNeverShown() async throws {
        let location = try PostgresLocation(
            "postgres://someone@127.0.0.1:1/db?schema=s", environment: ["SLUICE_PG_PASSWORD": "hunter2-secret"])
        #expect(!location.description.contains("hunter2"))
        let error = try #require(throws: LedgerError.self) {
            _ = try PostgresLocation("postgres://someone:hunter2-secret@127.0.0.1/db", environment: [:])
        }
        #expect(!error.message.contains("hunter2"))
        let refused = await #expect(throws: LedgerError.self) { _ = try await PostgresLedger(location: location) }
        #expect(refused.map { !$0.message.contains("hunter2") } == true)
    }
}
