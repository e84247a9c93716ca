import Foundation
import GRDB
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

/// The ledger's state machine: claims in item order, completion opens the next stage, failures
/// block later stages, retries and reclaims return work to the queue, groups wait for members.
@Suite struct LedgerTests {
    /// The ledgers every behaviour is checked on: the embedded one, and PostgreSQL (when a
    /// server runs; always in CI).
    enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
        static var tested: [Kind] { PostgresTestServer.runs ? allCases : [.sqlite] }

        func open(_ folder: TemporaryDirectory, schema: String) async throws -> any Ledger {
            switch self {
            case .sqlite: try SQLiteLedger(path: folder.file("sluice.db"))
            case .postgres: try await PostgresLedger(location: try PostgresTestServer.location(schema: schema))
            }
        }
    }

    /// A fresh ledger of `kind` with `items` registered; `reopen` opens the same one again.
    private func ledger(
        _ kind: Kind, _ folder: TemporaryDirectory, items: [ItemSpec], stages: [String] = ["fetch", "work"], groupStages: Set<Int> = [],
        barrierStages: Set<Int> = []
    ) async throws -> (ledger: any Ledger, reopen: () async throws -> any Ledger) {
        let schema = "t_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
        let ledger = try await kind.open(folder, schema: schema)
        try await ledger.register(items: items, stageNames: stages, groupStages: groupStages, barrierStages: barrierStages, now: 0)
        return (ledger, { try await kind.open(folder, schema: schema) })
    }

    private func ledger(
        _ folder: TemporaryDirectory, items: [ItemSpec], stages: [String] = ["fetch", "work"], groupStages: Set<Int> = [], barrierStages: Set<Int> = []
    ) async throws -> SQLiteLedger {
        let ledger = try SQLiteLedger(path: folder.file("sluice.db"))
        try await ledger.register(items: items, stageNames: stages, groupStages: groupStages, barrierStages: barrierStages, now: 0)
        return ledger
    }

    private func items(_ count: Int, group: (Int) -> String? = { _ in nil }) -> [ItemSpec] {
        (0..<count).map { ItemSpec(name: "item\($0)", sources: ["http://x/\($0)"], size: 10, group: group($0)) }
    }

    @Test(arguments: Kind.tested) func claimCompleteAdvancesTheItem(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(3)).ledger
        let claimed = try await ledger.claim(stage: 0, owner: "a", limit: 2, minimum: 1, maxBytes: nil, lease: 60, now: 1)
        #expect(claimed.map(\.item.name) == ["item0", "item1"])
        #expect(try await ledger.claim(stage: 1, owner: "a", limit: 1, minimum: 1, maxBytes: nil, lease: 60, now: 1).isEmpty)
        try await ledger.complete(claimed[0].key, artifacts: [ArtifactRecord(task: claimed[0].key, path: "raw/item0/f", area: .raw, bytes: 10)], releasing: [], now: 2)
        let next = try await ledger.claim(stage: 1, owner: "a", limit: 5, minimum: 1, maxBytes: nil, lease: 60, now: 3)
        #expect(next.map(\.item.name) == ["item0"])
        try await ledger.complete(next[0].key, artifacts: [], releasing: [claimed[0].key], now: 4)
        #expect(try await ledger.artifacts(in: .released).map(\.path) == ["raw/item0/f"])
        #expect(try await ledger.counts(stage: 1)[.done] == 1)
        // Registering again keeps progress and adds only new items.
        try await ledger.register(items: items(4), stageNames: ["fetch", "work"], groupStages: [], barrierStages: [], now: 5)
        #expect(try await ledger.tasks().filter { $0.stage == 0 && $0.state == .pending }.map(\.item) == ["item2", "item3"])
    }

    /// Another process (here another connection, on a thread of its own) holds the write lock
    /// until a timer on the cooperative pool has ticked 20 times (60 s at most). Twice as many
    /// writes as the pool has threads wait for the lock meanwhile: the timer finishing first
    /// shows that no write holds a thread while it waits; when the lock goes, every write is made.
    @Test func writesWaitForALockHeldElsewhereWithoutHoldingAThread() async throws {
        let folder = try TemporaryDirectory()
        let writers = 2 * ProcessInfo.processInfo.activeProcessorCount
        let ledger = try await ledger(folder, items: items(writers))
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: folder.file("sluice.db"), configuration: holding)
        @Sendable func execute(_ sql: String) throws { try other.writeWithoutTransaction { try $0.execute(sql: sql) } }
        try execute("BEGIN IMMEDIATE")
        let ticked = Mutex<ContinuousClock.Instant?>(nil)
        let released = Mutex<ContinuousClock.Instant?>(nil)
        let holder = Thread {
            let deadline = ContinuousClock.now + .seconds(60)
            while ticked.withLock({ $0 == nil }) && ContinuousClock.now < deadline { usleep(10_000) }
            try? execute("COMMIT")
            released.withLock { $0 = ContinuousClock.now }
        }
        holder.start()
        let claims = Task {
            try await withThrowingTaskGroup(of: [ClaimedTask].self) { group in
                for _ in 0..<writers {
                    group.addTask { try await ledger.claim(stage: 0, owner: "a", limit: 1, minimum: 1, maxBytes: nil, lease: 60, now: 1) }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        for _ in 0..<20 { try await Task.sleep(for: .milliseconds(10)) }
        if released.withLock({ $0 == nil }) { ticked.withLock { $0 = ContinuousClock.now } }
        let claimed = try await claims.value
        #expect(ticked.withLock { $0 } != nil, "the timer waited for the lock: a write held a thread")
        #expect(Set(claimed.map(\.item.name)) == Set(items(writers).map(\.name)))
    }

    @Test(arguments: Kind.tested) func permanentFailureBlocksLaterStagesAndRetryReopens(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(1), stages: ["fetch", "a", "b"]).ledger
        let task = try #require(try await ledger.claim(stage: 0, owner: "o", limit: 1, minimum: 1, maxBytes: nil, lease: 60, now: 1).first)
        try await ledger.fail(task.key, TaskFailure(code: "fetch.http-404", message: "404"), retryAt: nil, now: 2)
        #expect(try await ledger.tasks().map(\.state) == [.failed, .blocked, .blocked])
        #expect(try await ledger.retry(items: nil, now: 3) == 1)
        #expect(try await ledger.tasks().map(\.state) == [.pending, .waiting, .waiting])
        await #expect(throws: LedgerError.self) { try await ledger.retry(items: ["nope"], now: 3) }
    }

    @Test(arguments: Kind.tested) func transientFailureWaitsForItsBackoff(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(1)).ledger
        let task = try #require(try await ledger.claim(stage: 0, owner: "o", limit: 1, minimum: 1, maxBytes: nil, lease: 60, now: 1).first)
        try await ledger.fail(task.key, TaskFailure(code: "fetch.network", message: "reset"), retryAt: 10, now: 2)
        #expect(try await ledger.claim(stage: 0, owner: "o", limit: 1, minimum: 1, maxBytes: nil, lease: 60, now: 5).isEmpty)
        #expect(try await ledger.nextRetry(stage: 0) == 10)
        let again = try await ledger.claim(stage: 0, owner: "o", limit: 1, minimum: 1, maxBytes: nil, lease: 60, now: 11)
        #expect(again.first?.attempt == 2)
    }

    @Test(arguments: Kind.tested) func expiredLeasesReturnToTheQueue(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(2)).ledger
        _ = try await ledger.claim(stage: 0, owner: "dead", limit: 2, minimum: 1, maxBytes: nil, lease: 10, now: 0)
        try await ledger.renewLeases(owner: "dead", lease: 10, now: 5)
        #expect(try await ledger.reclaim(all: false, now: 12).isEmpty)
        #expect(try await ledger.reclaim(all: false, now: 16).count == 2)
        #expect(try await ledger.counts(stage: 0)[.pending] == 2)
    }

    @Test(arguments: Kind.tested) func batchesWaitUntilFullOrNoMoreCanArrive(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(3)).ledger
        let fetched = try await ledger.claim(stage: 0, owner: "o", limit: 3, minimum: 1, maxBytes: nil, lease: 60, now: 1)
        try await ledger.complete(fetched[0].key, artifacts: [], releasing: [], now: 2)
        try await ledger.complete(fetched[1].key, artifacts: [], releasing: [], now: 2)
        #expect(try await ledger.claim(stage: 1, owner: "o", limit: 3, minimum: 3, maxBytes: nil, lease: 60, now: 3).isEmpty)
        // The weight threshold closes a batch early: two items of 10 bytes reach 20.
        let byWeight = try await ledger.claim(stage: 1, owner: "o", limit: 3, minimum: 3, maxBytes: 20, lease: 60, now: 3)
        #expect(byWeight.count == 2)
        try await ledger.fail(fetched[2].key, TaskFailure(code: "x", message: "gone"), retryAt: nil, now: 4)
        #expect(try await ledger.counts(stage: 1)[.blocked] == 1)
    }

    @Test(arguments: Kind.tested) func groupsRunOnceAllMembersArrived(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(3) { $0 < 2 ? "human" : "mouse" }, stages: ["fetch", "merge", "after"], groupStages: [1]).ledger
        let fetched = try await ledger.claim(stage: 0, owner: "o", limit: 3, minimum: 1, maxBytes: nil, lease: 60, now: 1)
        try await ledger.complete(fetched[0].key, artifacts: [], releasing: [], now: 2)
        try await ledger.complete(fetched[2].key, artifacts: [], releasing: [], now: 2)
        let mouse = try #require(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 3))
        #expect(mouse.item.name == "group:mouse")
        #expect(mouse.members.map(\.name) == ["item2"])
        #expect(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 3) == nil)
        try await ledger.fail(fetched[1].key, TaskFailure(code: "x", message: "bad"), retryAt: nil, now: 4)
        let human = try #require(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 5))
        #expect(human.members.map(\.name) == ["item0"])
        try await ledger.complete(human.key, artifacts: [], releasing: [], now: 6)
        let states = Dictionary(uniqueKeysWithValues: try await ledger.tasks().map { ("\($0.item)#\($0.stage)", $0.state) })
        #expect(states["item0#1"] == .done)
        #expect(states["item0#2"] == .pending)
        #expect(states["item1#1"] == .blocked)
        #expect(states["item2#1"] == .pending)
    }

    @Test(arguments: Kind.tested) func aDifferentPipelineIsRefused(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let again = try await ledger(kind, folder, items: items(1)).reopen()
        let error = try await #require(throws: LedgerError.self) {
            try await again.register(items: items(1), stageNames: ["fetch", "other"], groupStages: [], barrierStages: [], now: 0)
        }
        #expect(error.code == .pipelineChanged)
    }

    /// A workspace made by the first schema opens with the current one: its event log is kept
    /// and goes on numbering where it stopped.
    @Test func aFirstSchemaLedgerIsMigratedKeepingItsEvents() async throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("sluice.db")
        do {
            let old = try DatabaseQueue(path: path)
            try await old.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                        INSERT INTO grdb_migrations VALUES ('v1');
                        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                        CREATE TABLE items(
                            id TEXT PRIMARY KEY, position INTEGER NOT NULL, spec TEXT NOT NULL,
                            grp TEXT, is_group INTEGER NOT NULL DEFAULT 0, bytes INTEGER);
                        CREATE TABLE tasks(
                            item TEXT NOT NULL REFERENCES items(id), stage INTEGER NOT NULL,
                            position INTEGER NOT NULL, is_group INTEGER NOT NULL DEFAULT 0,
                            state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                            owner TEXT, lease_until REAL, not_before REAL NOT NULL DEFAULT 0,
                            error_code TEXT, error TEXT, started REAL, finished REAL, bytes INTEGER,
                            PRIMARY KEY(item, stage));
                        CREATE INDEX tasks_by_stage ON tasks(stage, state, position);
                        CREATE TABLE artifacts(
                            item TEXT NOT NULL, stage INTEGER NOT NULL, path TEXT NOT NULL, area TEXT NOT NULL,
                            bytes INTEGER NOT NULL, sha256 TEXT, state TEXT NOT NULL,
                            PRIMARY KEY(item, stage, path));
                        CREATE INDEX artifacts_by_state ON artifacts(state);
                        CREATE TABLE events(
                            seq INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, item TEXT, stage INTEGER,
                            kind TEXT NOT NULL, message TEXT NOT NULL);
                        INSERT INTO events(time, item, stage, kind, message) VALUES (1, NULL, NULL, 'run-started', 'first run');
                        INSERT INTO events(time, item, stage, kind, message) VALUES (2, 'a', 0, 'claimed', 'attempt 1');
                        """)
            }
        }
        let ledger = try SQLiteLedger(path: path)
        try await ledger.record(LedgerEvent(time: 3, item: "a", stage: 0, kind: "done", message: "after the migration"))
        let events = try await ledger.events(after: 0, limit: 10)
        #expect(events.map(\.sequence) == [1, 2, 3])
        #expect(events.map(\.message) == ["first run", "attempt 1", "after the migration"])
    }

    /// A running task's reservation is on record while it runs, and gone once it ends or a
    /// crashed run's work returns to the queue.
    @Test(arguments: Kind.tested) func reservationsAreRecordedWhileTasksRun(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(2)).ledger
        let claimed = try await ledger.claim(stage: 0, owner: "a", limit: 2, minimum: 1, maxBytes: nil, lease: 60, now: 1)
        try await ledger.noteReservation(claimed[0].key, bytes: 4_096, area: .raw)
        try await ledger.noteReservation(claimed[1].key, bytes: 8_192, area: .raw)
        var running = try await ledger.tasks().filter { $0.stage == 0 }
        #expect(running.map(\.reserved) == [4_096, 8_192])
        #expect(running.allSatisfy { $0.reservedArea == .raw })
        try await ledger.complete(claimed[0].key, artifacts: [], releasing: [], now: 2)
        _ = try await ledger.reclaim(all: true, now: 3)
        running = try await ledger.tasks().filter { $0.stage == 0 }
        #expect(running.map(\.state) == [.done, .pending])
        #expect(running.allSatisfy { $0.reserved == nil && $0.reservedArea == nil })
        // Only a running task records one.
        try await ledger.noteReservation(claimed[1].key, bytes: 1, area: .raw)
        #expect(try await ledger.tasks().filter { $0.stage == 0 }.allSatisfy { $0.reserved == nil })
    }
}
