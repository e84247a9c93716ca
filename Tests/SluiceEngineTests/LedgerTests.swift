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

    /// The write-ahead log holds the transitions since its last checkpoint — bytes the budget
    /// counts; `compact()` gives them back (a run waiting for room asks for it).
    @Test func compactingEmptiesTheLog() async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(folder, items: items(40))
        for round in 0..<2 {
            for task in try await ledger.claim(stage: round, owner: "a", limit: 40, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1) {
                try await ledger.complete(task.key, by: "a", artifacts: [], releasing: [], now: 2)
            }
        }
        let log = folder.file("sluice.db-wal")
        #expect(DiskUsage.contentBytes(at: log) > 0)
        try await ledger.compact()
        #expect(DiskUsage.contentBytes(at: log) == 0)
        #expect(try await ledger.counts(stage: 1)[.done] == 40)
    }

    @Test(arguments: Kind.tested) func claimCompleteAdvancesTheItem(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(3)).ledger
        let claimed = try await ledger.claim(stage: 0, owner: "a", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1)
        #expect(claimed.map(\.item.name) == ["item0", "item1"])
        #expect(try await ledger.claim(stage: 1, owner: "a", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1).isEmpty)
        try await ledger.complete(claimed[0].key, by: "a", artifacts: [ArtifactRecord(task: claimed[0].key, path: "raw/item0/f", area: .raw, bytes: 10)], releasing: [], now: 2)
        let next = try await ledger.claim(stage: 1, owner: "a", limit: 5, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 3)
        #expect(next.map(\.item.name) == ["item0"])
        try await ledger.complete(next[0].key, by: "a", artifacts: [], releasing: [claimed[0].key], now: 4)
        #expect(try await ledger.artifacts(in: .released).map(\.path) == ["raw/item0/f"])
        #expect(try await ledger.counts(stage: 1)[.done] == 1)
        // Registering again keeps progress and adds only new items; an item none of whose tasks
        // started takes its new spec (a new dataset version), a started one keeps its own.
        var again = items(4)
        for index in again.indices { again[index].sources = ["http://x/v2/\(index)"] }
        try await ledger.register(items: again, stageNames: ["fetch", "work"], groupStages: [], barrierStages: [], now: 5)
        #expect(try await ledger.tasks().filter { $0.stage == 0 && $0.state == .pending }.map(\.item) == ["item2", "item3"])
        #expect(try await ledger.items().map { $0.sources[0] } == ["http://x/0", "http://x/1", "http://x/v2/2", "http://x/v2/3"])
    }

    /// A completion that claims the next task does both, in item order, and claims nothing
    /// when the completion is refused (another worker holds the task) or nothing is ready.
    @Test(arguments: Kind.tested) func aCompletionClaimsTheNextTask(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(3)).ledger
        let first = try #require(try await ledger.claim(stage: 0, owner: "a", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1).first)
        let artifact = ArtifactRecord(task: first.key, path: "raw/item0/f", area: .raw, bytes: 10)
        let one = try await ledger.complete(first.key, by: "a", artifacts: [artifact], releasing: [], ingesting: [], thenClaim: 0, lease: 60, now: 2)
        #expect(one.released.isEmpty && one.next?.key == TaskKey(item: "item1", stage: 0) && one.next?.attempt == 1)
        // The next stage's task the completion made ready.
        let two = try await ledger.complete(
            try #require(one.next).key, by: "a", artifacts: [], releasing: [], ingesting: [], thenClaim: 1, lease: 60, now: 3)
        #expect(two.next?.key == TaskKey(item: "item0", stage: 1))
        let three = try await ledger.complete(
            try #require(two.next).key, by: "a", artifacts: [], releasing: [first.key], ingesting: [], thenClaim: 1, lease: 60, now: 4)
        #expect(three.released.map(\.path) == ["raw/item0/f"])
        #expect(three.next?.key == TaskKey(item: "item1", stage: 1))
        let running = try await ledger.tasks().filter { $0.state == .running }
        #expect(running.map(\.item) == ["item1"] && running.first?.stage == 1)
        // Refused: nothing changes and nothing is claimed (item2's fetch stays pending).
        await #expect(throws: LedgerError.self) {
            try await ledger.complete(TaskKey(item: "item1", stage: 1), by: "b", artifacts: [], releasing: [], ingesting: [], thenClaim: 0, lease: 60, now: 5)
        }
        #expect(try await ledger.tasks().first { $0.item == "item2" && $0.stage == 0 }?.state == .pending)
        // Nothing ready at stage 1 any more.
        let last = try await ledger.complete(TaskKey(item: "item1", stage: 1), by: "a", artifacts: [], releasing: [], ingesting: [], thenClaim: 1, lease: 60, now: 6)
        #expect(last.next == nil)
        #expect(try await ledger.counts(stage: 1)[.done] == 2)
    }

    /// Another process (here another connection, on a thread of its own) holds the write lock
    /// until a timer has ticked 20 times (60 s at most). Four writes wait for the lock meanwhile,
    /// all on one serial executor with the timer — so that other tests running at the same time
    /// cannot starve the timer: the timer finishing first shows that no write holds its thread
    /// while it waits; when the lock goes, every write is made.
    @Test func writesWaitForALockHeldElsewhereWithoutHoldingAThread() async throws {
        let folder = try TemporaryDirectory()
        let writers = 4
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
        let claimed = try await withTaskExecutorPreference(SerialExecutor()) {
            try await withThrowingTaskGroup(of: [ClaimedTask].self) { group in
                for _ in 0..<writers {
                    group.addTask { try await ledger.claim(stage: 0, owner: "a", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1) }
                }
                try await Task.sleep(for: .milliseconds(100))
                for _ in 0..<20 { try await Task.sleep(for: .milliseconds(10)) }
                if released.withLock({ $0 == nil }) { ticked.withLock { $0 = ContinuousClock.now } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        #expect(ticked.withLock { $0 } != nil, "the timer waited for the lock: a write held the executor's only thread")
        #expect(Set(claimed.map(\.item.name)) == Set(items(writers).map(\.name)))
    }

    /// A task executor with one serial queue: at most one of its jobs runs at a time.
    private final class SerialExecutor: TaskExecutor {
        private let queue = DispatchQueue(label: "sluice.tests.serial-executor")

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    /// Disk samples come back in time order, from the moment asked for, quotas and all.
    @Test(arguments: Kind.tested) func diskSamplesAreKeptInTimeOrder(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(1)).ledger
        let later = [
            DiskSample(time: 20, worker: "w", area: "raw", committed: 5, reserved: 6, quota: nil),
            DiskSample(time: 20, worker: "w", area: DiskSample.total, committed: 50, reserved: 60, quota: 1 << 40),
        ]
        try await ledger.record(samples: later)
        try await ledger.record(samples: [DiskSample(time: 10, worker: "w", area: "raw", committed: 1, reserved: 2, quota: 3)])
        try await ledger.record(samples: [])
        #expect(try await ledger.samples(since: 0).map(\.time) == [10, 20, 20])
        #expect(Set(try await ledger.samples(since: 15)) == Set(later))
    }

    /// Items of a run that meet new genes at the same time, through several connections, give
    /// each gene one id and each id one gene, numbered on from `first` with no gaps; asking
    /// again, or after reopening, gives the same ids; vocabularies are apart.
    @Test(arguments: Kind.tested) func vocabulariesGiveEachNameOneIdForever(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let (ledger, reopen) = try await ledger(kind, folder, items: items(1))
        let handles = [ledger, try await reopen(), try await reopen()]
        let names = (0..<300).map { String(format: "ENSG%011d", ($0 * 7919) % 1000) }
        let answers = try await withThrowingTaskGroup(of: [String: Int32].self) { group in
            for call in 0..<12 {
                let subset = (0..<120).map { names[(call * 37 + $0 * 5) % names.count] }
                group.addTask { try await handles[call % handles.count].assignTokens(subset, in: "genes", first: 4) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let table = try await ledger.tokens(in: "genes")
        #expect(Set(table.map(\.name)).count == table.count)
        #expect(table.map(\.token) == (0..<Int32(table.count)).map { 4 + $0 })
        let byName = Dictionary(uniqueKeysWithValues: table.map { ($0.name, $0.token) })
        for answer in answers {
            #expect(answer.allSatisfy { byName[$0.key] == $0.value })
        }
        #expect(Set(answers.flatMap(\.keys)) == Set(byName.keys))
        let again = try await reopen().assignTokens(Array(byName.keys.prefix(10)) + ["ENSGNEW"], in: "genes", first: 4)
        #expect(again.filter { $0.key != "ENSGNEW" }.allSatisfy { byName[$0.key] == $0.value })
        #expect(again["ENSGNEW"] == Int32(4 + table.count))
        #expect(try await ledger.assignTokens(["b", "a", "a"], in: "other", first: 0) == ["a": 0, "b": 1])
        #expect(try await ledger.tokens(in: "genes").count == table.count + 1)
    }

    /// A catalog's resolved list is stored once: resolvers racing (a run and its workers) all
    /// keep the first; a refresh replaces it; another key is separate; a reopened ledger has it.
    @Test(arguments: Kind.tested) func resolvedItemListsAreKeptOnceUntilReplaced(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let (ledger, reopen) = try await ledger(kind, folder, items: items(1))
        #expect(try await ledger.resolvedItems(key: "cellxgene:{}") == nil)
        let handles = [ledger, try await reopen(), try await reopen()]
        let lists = (0..<6).map { ResolvedItems(key: "cellxgene:{}", resolvedAt: Double($0), items: items($0 + 1)) }
        let kept = try await withThrowingTaskGroup(of: ResolvedItems.self) { group in
            for (index, list) in lists.enumerated() { group.addTask { try await handles[index % handles.count].store(list, replacing: false) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let first = try #require(try await ledger.resolvedItems(key: "cellxgene:{}"))
        #expect(lists.contains(first) && kept.allSatisfy { $0 == first })
        let refreshed = ResolvedItems(key: "cellxgene:{}", resolvedAt: 99, items: [ItemSpec(name: "new", sources: ["http://x/new"], size: 7, metadata: ["title": "T"])])
        #expect(try await ledger.store(refreshed, replacing: true) == refreshed)
        #expect(try await reopen().resolvedItems(key: "cellxgene:{}") == refreshed)
        #expect(try await ledger.resolvedItems(key: "cellxgene:{\"organism\"}") == nil)
        #expect(try await ledger.stageNames() == ["fetch", "work"])
    }

    @Test(arguments: Kind.tested) func permanentFailureBlocksLaterStagesAndRetryReopens(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(1), stages: ["fetch", "a", "b"]).ledger
        let task = try #require(try await ledger.claim(stage: 0, owner: "o", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1).first)
        try await ledger.fail(task.key, by: "o", TaskFailure(code: "fetch.http-404", message: "404"), retryAt: nil, now: 2)
        #expect(try await ledger.tasks().map(\.state) == [.failed, .blocked, .blocked])
        #expect(try await ledger.retry(items: nil, now: 3) == 1)
        #expect(try await ledger.tasks().map(\.state) == [.pending, .waiting, .waiting])
        await #expect(throws: LedgerError.self) { try await ledger.retry(items: ["nope"], now: 3) }
    }

    @Test(arguments: Kind.tested) func transientFailureWaitsForItsBackoff(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(1)).ledger
        let task = try #require(try await ledger.claim(stage: 0, owner: "o", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1).first)
        try await ledger.fail(task.key, by: "o", TaskFailure(code: "fetch.network", message: "reset"), retryAt: 10, now: 2)
        #expect(try await ledger.claim(stage: 0, owner: "o", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 5).isEmpty)
        #expect(try await ledger.nextRetry(stage: 0) == 10)
        let again = try await ledger.claim(stage: 0, owner: "o", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 11)
        #expect(again.first?.attempt == 2)
    }

    @Test(arguments: Kind.tested) func expiredLeasesReturnToTheQueue(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(2)).ledger
        _ = try await ledger.claim(stage: 0, owner: "dead", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 10, now: 0)
        try await ledger.heartbeat(WorkerRecord(id: "dead", host: "node1", pid: 7), lease: 10, now: 5)
        #expect(try await ledger.expired(now: 12).isEmpty)
        #expect(try await ledger.reclaim(all: false, now: 12).isEmpty)
        // Seen expired first, without being changed: their leftovers go before anyone claims them.
        #expect(Set(try await ledger.expired(now: 16)) == [TaskKey(item: "item0", stage: 0), TaskKey(item: "item1", stage: 0)])
        #expect(try await ledger.counts(stage: 0)[.running] == 2)
        #expect(try await ledger.reclaim(all: false, now: 16).count == 2)
        #expect(try await ledger.counts(stage: 0)[.pending] == 2)
    }

    @Test(arguments: Kind.tested) func batchesWaitUntilFullOrNoMoreCanArrive(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(3)).ledger
        let fetched = try await ledger.claim(stage: 0, owner: "o", limit: 3, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1)
        try await ledger.complete(fetched[0].key, by: "o", artifacts: [], releasing: [], now: 2)
        try await ledger.complete(fetched[1].key, by: "o", artifacts: [], releasing: [], now: 2)
        #expect(try await ledger.claim(stage: 1, owner: "o", limit: 3, minimum: 3, enough: nil, maxWait: nil, lease: 60, now: 3).isEmpty)
        // The weight threshold closes a batch early: two items of 10 bytes reach 20.
        let byWeight = try await ledger.claim(stage: 1, owner: "o", limit: 3, minimum: 3, enough: 20, maxWait: nil, lease: 60, now: 3)
        #expect(byWeight.count == 2)
        try await ledger.fail(fetched[2].key, by: "o", TaskFailure(code: "x", message: "gone"), retryAt: nil, now: 4)
        #expect(try await ledger.counts(stage: 1)[.blocked] == 1)
    }

    /// Records ingested with a completion are stored with it, in its transaction; a completion
    /// refused (the lease went to another worker) stores none.
    @Test(arguments: Kind.tested) func recordsAreIngestedWithTheirCompletion(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(2)).ledger
        let claimed = try await ledger.claim(stage: 0, owner: "a", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1)
        let records = [
            IngestRecord(collection: "docs", item: "item0", name: "b.json", content: "{\"text\": \"zwei\"}"),
            IngestRecord(collection: "docs", item: "item0", name: "a.json", content: "{\"text\": \"eins\"}"),
        ]
        try await ledger.complete(claimed[0].key, by: "a", artifacts: [], releasing: [], ingesting: records, now: 2)
        let lost = IngestRecord(collection: "docs", item: "item1", name: "c.json", content: "lost")
        await #expect(throws: LedgerError.self) {
            try await ledger.complete(claimed[1].key, by: "b", artifacts: [], releasing: [], ingesting: [lost], now: 2)
        }
        #expect(try await ledger.ingested(collection: "docs") == records.reversed())
        #expect(try await ledger.ingested(collection: "other").isEmpty)
    }

    /// A stage batching by weight (pages, say) closes a batch once the recorded weights reach
    /// its minimum, and takes a lighter one once its first task has waited `maxWait`.
    @Test(arguments: Kind.tested) func batchesCloseByRecordedWeightOrAfterTheirWait(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(4)).ledger
        let fetched = try await ledger.claim(stage: 0, owner: "o", limit: 4, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1)
        for (index, task) in fetched.enumerated() {
            try await ledger.weigh(TaskKey(item: task.item.name, stage: 1), [300, 500, 400, 100][index])
        }
        for task in fetched.prefix(3) { try await ledger.complete(task.key, by: "o", artifacts: [], releasing: [], now: 10) }
        // 300 + 500 pages reach 800: a batch of two, though four may go together.
        let first = try await ledger.claim(stage: 1, owner: "o", limit: 4, minimum: 4, enough: 800, maxWait: 60, lease: 60, now: 11)
        #expect(first.map(\.item.name) == ["item0", "item1"])
        // 400 pages are not enough, and item3 may still arrive: the batch waits …
        #expect(try await ledger.claim(stage: 1, owner: "o", limit: 4, minimum: 4, enough: 800, maxWait: 60, lease: 60, now: 30).isEmpty)
        // … until its first task has been ready for a minute.
        let late = try await ledger.claim(stage: 1, owner: "o", limit: 4, minimum: 4, enough: 800, maxWait: 60, lease: 60, now: 71)
        #expect(late.map(\.item.name) == ["item2"])
    }

    @Test(arguments: Kind.tested) func groupsRunOnceAllMembersArrived(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(3) { $0 < 2 ? "human" : "mouse" }, stages: ["fetch", "merge", "after"], groupStages: [1]).ledger
        let fetched = try await ledger.claim(stage: 0, owner: "o", limit: 3, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1)
        try await ledger.complete(fetched[0].key, by: "o", artifacts: [], releasing: [], now: 2)
        try await ledger.complete(fetched[2].key, by: "o", artifacts: [], releasing: [], now: 2)
        let mouse = try #require(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 3))
        #expect(mouse.item.name == "group:mouse")
        #expect(mouse.members.map(\.name) == ["item2"])
        #expect(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 3) == nil)
        try await ledger.fail(fetched[1].key, by: "o", TaskFailure(code: "x", message: "bad"), retryAt: nil, now: 4)
        let human = try #require(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 5))
        #expect(human.members.map(\.name) == ["item0"])
        try await ledger.complete(human.key, by: "o", artifacts: [], releasing: [], now: 6)
        let states = Dictionary(uniqueKeysWithValues: try await ledger.tasks().map { ("\($0.item)#\($0.stage)", $0.state) })
        #expect(states["item0#1"] == .done)
        #expect(states["item0#2"] == .pending)
        #expect(states["item1#1"] == .blocked)
        #expect(states["item2#1"] == .pending)
    }

    /// A per-group-first stage: a group's task is claimable before any member arrives; members
    /// that arrive before it is done wait there, later stages included, and go on when it is
    /// done; members that arrive after go straight on; a failed group task fails its waiting
    /// members and blocks their later stages.
    @Test(arguments: Kind.tested) func groupFirstStagesRunBeforeTheirMembersGoOn(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(
            kind, folder, items: items(4) { $0 < 2 ? "human" : "mouse" }, stages: ["fetch", "index", "quant"], groupStages: [1]
        ).ledger
        func states() async throws -> [String: TaskState] {
            Dictionary(uniqueKeysWithValues: try await ledger.tasks().map { ("\($0.item)#\($0.stage)", $0.state) })
        }
        // Nothing fetched yet: both groups' index tasks can run (a per-group stage's could not).
        #expect(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 1) == nil)
        let human = try #require(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 1, first: true))
        let mouse = try #require(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 1, first: true))
        #expect([human.item.name, mouse.item.name] == ["group:human", "group:mouse"])
        // item0 arrives while the human index is being built: it waits, quant included.
        let fetched = try await ledger.claim(stage: 0, owner: "o", limit: 4, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 2)
        try await ledger.complete(fetched[0].key, by: "o", artifacts: [], releasing: [], now: 3)
        #expect(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 3, first: true) == nil)
        #expect(try await ledger.claim(stage: 2, owner: "o", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 3).isEmpty)
        #expect(try await states()["item0#2"] == .waiting)
        // The index is done: item0 goes on at once; item1, arriving later, goes on as it arrives.
        try await ledger.complete(human.key, by: "o", artifacts: [], releasing: [], now: 4)
        let passed = try await states()
        #expect(passed["item0#1"] == .done && passed["item0#2"] == .pending)
        try await ledger.complete(fetched[1].key, by: "o", artifacts: [], releasing: [], now: 5)
        _ = try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 5, first: true)
        let late = try await states()
        #expect(late["item1#1"] == .done && late["item1#2"] == .pending)
        let quant = try await ledger.claim(stage: 2, owner: "o", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 6)
        #expect(quant.map(\.item.name) == ["item0", "item1"])
        // The mouse index fails: item2 (waiting) and item3 (arriving later) fail with it.
        try await ledger.complete(fetched[2].key, by: "o", artifacts: [], releasing: [], now: 6)
        try await ledger.fail(mouse.key, by: "o", TaskFailure(code: "command.exit", message: "kallisto index died"), retryAt: nil, now: 7)
        try await ledger.complete(fetched[3].key, by: "o", artifacts: [], releasing: [], now: 8)
        _ = try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 8, first: true)
        let after = try await states()
        #expect(after["item2#1"] == .failed && after["item2#2"] == .blocked, "\(after)")
        #expect(after["item3#1"] == .failed && after["item3#2"] == .blocked, "\(after)")
        let failure = try await ledger.tasks().first { $0.item == "item3" && $0.stage == 1 }
        #expect(failure?.failure?.message == "group mouse: kallisto index died" && failure?.failure?.code == "command.exit", "\(String(describing: failure))")
    }

    /// An item that waits for the barrier gives up what it fetched when parked — only there, and
    /// once — and is fetched again when the barrier is done, before its next stage; the others
    /// go straight on. The parked item's later stage waits for that fetch, which says so.
    @Test(arguments: Kind.tested) func parkedItemsAreFetchedAgainBeforeTheirNextStage(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(3), stages: ["fetch", "digest", "medians", "tokenize"], barrierStages: [2]).ledger
        let fetched = try await ledger.claim(stage: 0, owner: "o", limit: 3, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1)
        for task in fetched {
            let raw = ArtifactRecord(task: task.key, path: "raw/\(task.item.name)/f", area: .raw, bytes: 10)
            try await ledger.complete(task.key, by: "o", artifacts: [raw], releasing: [], now: 2)
        }
        let digests = try await ledger.claim(stage: 1, owner: "o", limit: 3, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 3)
        for task in digests where task.item.name != "item0" {
            let digest = ArtifactRecord(task: task.key, path: "interim/\(task.item.name)/d", area: .interim, bytes: 1)
            try await ledger.complete(task.key, by: "o", artifacts: [digest], releasing: [], now: 4)
        }
        #expect(try await ledger.parkingCandidates(at: 2, limit: 5, holder: nil) == ["item2", "item1"])
        #expect(try await ledger.park(item: "item0", at: 2, reason: "room", now: 5).isEmpty)
        let parked = try await ledger.park(item: "item2", at: 2, reason: "room", now: 5)
        #expect(parked.map(\.path) == ["raw/item2/f"])
        #expect(parked.allSatisfy { $0.state == .released })
        #expect(try await ledger.park(item: "item2", at: 2, reason: "room", now: 5).isEmpty)
        #expect(try await ledger.parkingCandidates(at: 2, limit: 5, holder: nil) == ["item1"])
        #expect(try await ledger.artifacts(in: .released).map(\.path) == ["raw/item2/f"])
        try await ledger.complete(digests[0].key, by: "o", artifacts: [], releasing: [], now: 6)
        let barrier = try #require(try await ledger.claimGroup(stage: 2, owner: "o", lease: 60, now: 7))
        #expect(barrier.members.map(\.name) == ["item0", "item1", "item2"])
        try await ledger.complete(barrier.key, by: "o", artifacts: [], releasing: [], now: 8)
        var states = Dictionary(uniqueKeysWithValues: try await ledger.tasks().map { ("\($0.item)#\($0.stage)", $0.state) })
        #expect(states["item0#3"] == .pending)
        #expect(states["item1#3"] == .pending)
        #expect(states["item2#0"] == .pending)
        #expect(states["item2#2"] == .done)
        #expect(states["item2#3"] == .waiting)
        #expect(try await ledger.parkingCandidates(at: 2, limit: 5, holder: nil).isEmpty)
        let again = try await ledger.claim(stage: 0, owner: "o", limit: 3, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 9)
        #expect(again.map(\.item.name) == ["item2"])
        let raw = ArtifactRecord(task: again[0].key, path: "raw/item2/f", area: .raw, bytes: 12)
        try await ledger.complete(again[0].key, by: "o", artifacts: [raw], releasing: [], now: 10)
        states = Dictionary(uniqueKeysWithValues: try await ledger.tasks().map { ("\($0.item)#\($0.stage)", $0.state) })
        #expect(states["item2#0"] == .done)
        #expect(states["item2#3"] == .pending)
        let events = try await ledger.events(after: 0, limit: 1_000)
        #expect(events.filter { $0.kind == "parked" }.map(\.item) == ["item2"])
        #expect(events.compactMap(LedgerEvent.refetchedBytes) == [12])
        #expect(try await ledger.liveArtifacts(item: "item2").map(\.path).contains("raw/item2/f"))
    }

    /// The overview and the few tasks a display shows, which a ledger reads without reading
    /// every task, say what every task says: with items done, failed, blocked, running (with a
    /// reservation) and waiting, and a group task.
    @Test(arguments: Kind.tested) func theOverviewAgreesWithEveryTask(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(6) { $0 < 3 ? "human" : "mouse" }, stages: ["fetch", "merge", "after"], groupStages: [1]).ledger
        let fetched = try await ledger.claim(stage: 0, owner: "o", limit: 5, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1)
        try await ledger.complete(fetched[0].key, by: "o", artifacts: [], releasing: [], now: 2)
        try await ledger.complete(fetched[1].key, by: "o", artifacts: [], releasing: [], now: 3)
        try await ledger.fail(fetched[2].key, by: "o", TaskFailure(code: "fetch.http-404", message: "404"), retryAt: nil, now: 4)
        try await ledger.fail(fetched[3].key, by: "o", TaskFailure(code: "fetch.http-500", message: "500"), retryAt: nil, now: 5)
        #expect(try await ledger.reserve(fetched[4].key, [.raw: 4_096], quota: nil, now: 5))
        let human = try #require(try await ledger.claimGroup(stage: 1, owner: "o", lease: 60, now: 6))
        try await ledger.complete(human.key, by: "o", artifacts: [], releasing: [], now: 7)
        for task in try await ledger.claim(stage: 2, owner: "o", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 8) {
            try await ledger.complete(task.key, by: "o", artifacts: [], releasing: [], now: 9)
        }

        let tasks = try await ledger.tasks()
        let overview = try await ledger.overview()
        #expect(overview == LedgerOverview(tasks: tasks))
        #expect(overview.done == 1 && overview.failed == 2 && overview.unfinished == 3, "\(overview)")
        // Stage 1's done tasks: item0's, item1's and the human group's own.
        #expect(overview.counts[1]?[.done] == 3, "\(overview.counts)")
        let running = try await ledger.tasks(in: .running, limit: 10)
        #expect(running.map(\.item) == ["item4"] && running.first?.reserved == 4_096 && running.first?.reservedArea == .raw)
        // The most recently failed first, and no more than asked.
        #expect(try await ledger.tasks(in: .failed, limit: 10).map(\.item) == ["item3", "item2"])
        #expect(try await ledger.tasks(in: .failed, limit: 1).map(\.item) == ["item3"])
        #expect(try await ledger.tasks(in: .failed, limit: 1).first?.failure?.code == "fetch.http-500")
        // One item's tasks, in stage order; a group's task by its name; none for a name the run lacks.
        #expect(try await ledger.tasks(of: "item2") == tasks.filter { $0.item == "item2" })
        #expect(try await ledger.tasks(of: "item2").map(\.state) == [.failed, .blocked, .blocked])
        #expect(try await ledger.tasks(of: "group:human").map(\.state) == [.done])
        #expect(try await ledger.tasks(of: "it'em; DROP TABLE tasks").isEmpty)
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

    /// A running task's reservation is on record while it runs, and lapses once it ends or a
    /// crashed run's work returns to the queue.
    @Test(arguments: Kind.tested) func reservationsAreRecordedWhileTasksRun(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(2)).ledger
        let claimed = try await ledger.claim(stage: 0, owner: "a", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1)
        #expect(try await ledger.reserve(claimed[0].key, [.raw: 4_096], quota: nil, now: 1))
        #expect(try await ledger.reserve(claimed[1].key, [.raw: 8_192], quota: nil, now: 1))
        var running = try await ledger.tasks().filter { $0.stage == 0 }
        #expect(running.map(\.reserved) == [4_096, 8_192])
        #expect(running.allSatisfy { $0.reservedArea == .raw })
        try await ledger.complete(claimed[0].key, by: "a", artifacts: [], releasing: [], now: 2)
        _ = try await ledger.reclaim(all: true, now: 3)
        running = try await ledger.tasks().filter { $0.stage == 0 }
        #expect(running.map(\.state) == [.done, .pending])
        #expect(running.allSatisfy { $0.reserved == nil && $0.reservedArea == nil })
        // Only a running task records one.
        _ = try await ledger.reserve(claimed[1].key, [.raw: 1], quota: nil, now: 4)
        #expect(try await ledger.tasks().filter { $0.stage == 0 }.allSatisfy { $0.reserved == nil })
    }

    /// The shared quota counts every worker's committed artifacts (whole blocks and one for the
    /// folder, not deleted yet) and the reservations of running claims — a dead worker's until
    /// its tasks are taken back.
    @Test(arguments: Kind.tested) func theSharedQuotaSeesEveryWorker(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(4)).ledger
        let quota = SharedQuota(limits: BudgetLimits(total: 100_000, areas: [.output: 60_000]))
        let a = try await ledger.claim(stage: 0, owner: "a", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 10, now: 1)
        let b = try await ledger.claim(stage: 0, owner: "b", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 100, now: 1)
        #expect(try await ledger.reserve(a[0].key, [.raw: 50_000], quota: quota, now: 1))
        // 50,000 held: 40,000 more in raw fit, 60,000 do not.
        #expect(try await ledger.reserve(b[0].key, [.raw: 60_000], quota: quota, now: 2) == false)
        #expect(try await ledger.reserve(b[0].key, [.raw: 40_000], quota: quota, now: 2))
        // A task may change its own reservation: only the difference counts.
        #expect(try await ledger.reserve(b[0].key, [.raw: 50_000], quota: quota, now: 2))
        #expect(try await ledger.reserve(b[1].key, [.output: 1], quota: quota, now: 2) == false)
        // A's lease has run out at 12, but its files may still be on disk: its 50,000 count until
        // its tasks are taken back (the worker that takes them removes what they left).
        #expect(try await ledger.reserve(b[1].key, [.output: 45_000], quota: quota, now: 12) == false)
        #expect(Set(try await ledger.reclaim(all: false, now: 12)) == Set(a.map(\.key)))
        #expect(try await ledger.reserve(b[1].key, [.output: 45_000], quota: quota, now: 12))
        // A committed artifact counts as the engine reserves it: 8,193 bytes take 3 blocks and the folder's.
        try await ledger.complete(
            b[1].key, by: "b", artifacts: [ArtifactRecord(task: b[1].key, path: "output/item3/f", area: .output, bytes: 8_193)], releasing: [],
            now: 13)
        let committed: Int64 = 4 * 4_096
        #expect(try await ledger.reserve(b[0].key, [.raw: 100_000 - committed], quota: quota, now: 13))
        #expect(try await ledger.reserve(b[0].key, [.raw: 100_000 - committed + 1], quota: quota, now: 13) == false)
        // The per-area bound: 60,000 in output, of which the artifact holds 16,384.
        let c = try await ledger.claim(stage: 1, owner: "c", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 100, now: 13)
        #expect(try await ledger.reserve(b[0].key, [.raw: 1], quota: nil, now: 13))
        #expect(try await ledger.reserve(c[0].key, [.output: 60_000 - committed + 1], quota: quota, now: 13) == false)
        #expect(try await ledger.reserve(c[0].key, [.output: 60_000 - committed], quota: quota, now: 13))
        // What is kept free beside the data (the ledger and logs, a download's headroom) counts too.
        var tight = quota
        tight.keepFree = 100_000
        #expect(try await ledger.reserve(b[0].key, [.raw: 2], quota: tight, now: 13) == false)
        // Several areas at once: all or nothing.
        #expect(try await ledger.reserve(b[0].key, [.raw: 1, .interim: 100_000], quota: quota, now: 13) == false)
        #expect(try await ledger.tasks().first { $0.item == b[0].key.item && $0.stage == 0 }?.reserved == 1)
        // A deleted artifact frees its bytes.
        try await ledger.mark([ArtifactRecord(task: b[1].key, path: "output/item3/f", area: .output, bytes: 8_193)], .deleted)
        #expect(try await ledger.reserve(b[0].key, [.raw: 100_000 - 60_000 + committed], quota: quota, now: 14))
    }

    /// With a bound on files, the shared quota counts every worker's files and folders too: the
    /// running tasks' reserved ones and, for committed artifacts, each file with its stage's
    /// folder and its item's; and the ledger's and logs' own, kept free.
    @Test(arguments: Kind.tested) func theSharedQuotaCountsFiles(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(4)).ledger
        let quota = SharedQuota(limits: BudgetLimits(total: 1_000_000, files: 10))
        let tasks = try await ledger.claim(stage: 0, owner: "a", limit: 4, minimum: 1, enough: nil, maxWait: nil, lease: 100, now: 1)
        #expect(try await ledger.reserve(tasks[0].key, [.raw: 1_000], files: (4, .raw), quota: quota, now: 1))
        #expect(try await ledger.reserve(tasks[1].key, [.raw: 1_000], files: (7, .raw), quota: quota, now: 1) == false)
        #expect(try await ledger.reserve(tasks[1].key, [.raw: 1_000], files: (6, .raw), quota: quota, now: 1))
        // A task may change its own count: only the difference counts; other areas carry none.
        #expect(try await ledger.reserve(tasks[0].key, [.raw: 2_000, .interim: 5], files: (4, .raw), quota: quota, now: 1))
        #expect(try await ledger.reserve(tasks[0].key, [.interim: 10], files: (4, .raw), quota: quota, now: 1))
        // Task 0 commits two files of one stage folder: 2 + 1 + 1 (the item's folder) count now.
        let artifacts = ["a", "b"].map { ArtifactRecord(task: tasks[0].key, path: "raw/item0/fetch/\($0)", area: .raw, bytes: 10) }
        try await ledger.complete(tasks[0].key, by: "a", artifacts: artifacts, releasing: [], now: 2)
        #expect(try await ledger.reserve(tasks[2].key, [.raw: 1], files: (1, .raw), quota: quota, now: 2) == false)
        try await ledger.mark([artifacts[0]], .deleted)
        #expect(try await ledger.reserve(tasks[2].key, [.raw: 1], files: (1, .raw), quota: quota, now: 2))
        // What the ledger and logs hold is kept free.
        var tight = quota
        tight.keepFreeFiles = 1
        #expect(try await ledger.reserve(tasks[3].key, [.raw: 1], files: (1, .raw), quota: tight, now: 2) == false)
        // Without a bound, files never refuse a reservation.
        #expect(try await ledger.reserve(tasks[3].key, [.raw: 1], files: (1_000, .raw), quota: SharedQuota(limits: BudgetLimits(total: 1_000_000)), now: 2))
    }

    /// An item whose files are in a worker's node-local scratch is pinned to that worker: no
    /// other claims its tasks, and its node-local files are outside the shared quota. Restarted
    /// (its worker is gone), its node-local files are marked deleted, what its tasks from the
    /// restart on committed is released, and any worker claims it again from there.
    @Test(arguments: Kind.tested) func pinnedItemsGoToTheirHolderUntilRestarted(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(2), stages: ["fetch", "work", "tidy"]).ledger
        let fetched = try await ledger.claim(stage: 0, owner: "a", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1)
        let raw = ArtifactRecord(task: fetched[0].key, path: "raw/item0/f", area: .raw, bytes: 50_000)
        try await ledger.pin(item: "item0", to: "a")
        try await ledger.complete(fetched[0].key, by: "a", artifacts: [raw], releasing: [], now: 2)
        try await ledger.complete(fetched[1].key, by: "a", artifacts: [], releasing: [], now: 2)
        #expect(try await ledger.pins() == ["item0": "a"])
        // Worker b finds only the unpinned item; a finds its own.
        let b = try await ledger.claim(stage: 1, owner: "b", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 3)
        #expect(b.map(\.item.name) == ["item1"])
        // The pinned item's raw file is on a's node: the shared quota does not count it.
        let quota = SharedQuota(limits: BudgetLimits(total: 60_000))
        #expect(try await ledger.reserve(b[0].key, [.output: 50_000], quota: quota, now: 3))
        let a = try await ledger.claim(stage: 1, owner: "a", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 3)
        #expect(a.map(\.item.name) == ["item0"])
        let output = ArtifactRecord(task: a[0].key, path: "output/item0/g", area: .output, bytes: 10)
        try await ledger.complete(a[0].key, by: "a", artifacts: [output], releasing: [], now: 4)
        // a is gone: item0 goes back to its fetch, on any worker.
        // Restarted as pinned to another worker: nothing happens (someone restarted it already).
        try await ledger.restart(item: "item0", pinnedTo: "b", from: 0, now: 5)
        #expect(try await ledger.pins() == ["item0": "a"])
        try await ledger.restart(item: "item0", pinnedTo: "a", from: 0, now: 5)
        #expect(try await ledger.pins().isEmpty)
        let tasks = try await ledger.tasks().filter { $0.item == "item0" }.map(\.state)
        #expect(tasks == [.pending, .waiting, .waiting])
        #expect(try await ledger.artifacts(in: .deleted).map(\.path) == ["raw/item0/f"])
        #expect(try await ledger.artifacts(in: .released).map(\.path) == ["output/item0/g"])
        let again = try await ledger.claim(stage: 0, owner: "b", limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 6)
        #expect(again.map(\.item.name) == ["item0"])
        #expect(try await ledger.events(after: 0, limit: 1_000).contains { $0.kind == "restarted" && $0.item == "item0" && $0.stage == 0 })
    }

    /// Items that failed for good with inputs left are eviction candidates, oldest failure
    /// first; a worker is offered only those whose inputs it can reach (none pinned to another
    /// worker's node-local scratch); an evicted item is offered no more.
    @Test(arguments: Kind.tested) func failedItemsInputsAreOfferedToTheWorkerThatCanReachThem(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(3)).ledger
        let fetched = try await ledger.claim(stage: 0, owner: "a", limit: 3, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 1)
        for task in fetched {
            let raw = ArtifactRecord(task: task.key, path: "raw/\(task.item.name)/f", area: .raw, bytes: 100)
            try await ledger.complete(task.key, by: "a", artifacts: [raw], releasing: [], now: 2)
        }
        try await ledger.pin(item: "item1", to: "a")
        let work = try await ledger.claim(stage: 1, owner: "a", limit: 3, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 3)
        // item2 fails first, then item1; item0 succeeds.
        for (name, time) in [("item2", 4.0), ("item1", 5.0)] {
            let task = try #require(work.first { $0.item.name == name })
            try await ledger.fail(task.key, by: "a", TaskFailure(code: "x", message: "x"), retryAt: nil, now: time)
        }
        try await ledger.complete(try #require(work.first { $0.item.name == "item0" }).key, by: "a", artifacts: [], releasing: [], now: 6)
        #expect(try await ledger.evictionCandidates(limit: -1, holder: nil) == ["item2", "item1"])
        #expect(try await ledger.evictionCandidates(limit: 1, holder: "a") == ["item2"])
        #expect(try await ledger.evictionCandidates(limit: -1, holder: "b") == ["item2"])
        #expect(try await ledger.evict(item: "item2", reason: "test", now: 7).map(\.path) == ["raw/item2/f"])
        #expect(try await ledger.evictionCandidates(limit: -1, holder: "a") == ["item1"])
        #expect(try await ledger.evictionCandidates(limit: -1, holder: "b").isEmpty)
    }

    /// A worker whose lease ran out and whose task another worker took cannot complete, fail
    /// or give back that task: the task is done once, by the worker that holds it.
    @Test(arguments: Kind.tested) func onlyTheHolderEndsATask(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(1)).ledger
        let stale = try #require(try await ledger.claim(stage: 0, owner: "a", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 5, now: 0).first)
        #expect(try await ledger.reclaim(all: false, now: 6) == [stale.key])
        let taken = try #require(try await ledger.claim(stage: 0, owner: "b", limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 6).first)
        await #expect(throws: LedgerError.self) {
            try await ledger.complete(stale.key, by: "a", artifacts: [], releasing: [], now: 7)
        }
        try await ledger.fail(stale.key, by: "a", TaskFailure(code: "x", message: "late"), retryAt: nil, now: 7)
        try await ledger.release(stale.key, by: "a", now: 7)
        #expect(try await ledger.tasks().first { $0.stage == 0 }?.state == .running)
        try await ledger.complete(taken.key, by: "b", artifacts: [], releasing: [], now: 8)
        let first = try #require(try await ledger.tasks().first { $0.stage == 0 })
        #expect(first.state == .done && first.attempts == 2 && first.failure == nil)
    }

    /// Workers are listed with their host, heartbeat and running tasks; one that retires says so.
    @Test(arguments: Kind.tested) func workersAreListed(kind: Kind) async throws {
        let folder = try TemporaryDirectory()
        let ledger = try await ledger(kind, folder, items: items(3)).ledger
        let a = WorkerRecord(id: "node1:11:aaaa", host: "node1", pid: 11)
        let b = WorkerRecord(id: "node2:22:bbbb", host: "node2", pid: 22, isRun: true)
        try await ledger.heartbeat(a, lease: 60, now: 1)
        try await ledger.heartbeat(b, lease: 60, now: 2)
        _ = try await ledger.claim(stage: 0, owner: b.id, limit: 2, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: 2)
        try await ledger.heartbeat(a, lease: 60, now: 3)
        var workers = try await ledger.workers()
        #expect(workers.map(\.worker) == [a, b])
        #expect(workers.map(\.running) == [0, 2])
        #expect(workers.map(\.started) == [1, 2])
        #expect(workers.map(\.heartbeat) == [3, 2])
        // B's heartbeat renews its leases.
        try await ledger.heartbeat(b, lease: 60, now: 50)
        #expect(try await ledger.reclaim(all: false, now: 100).isEmpty)
        try await ledger.retire(worker: a.id, now: 51)
        // A heartbeat that was on its way when the worker retired does not bring it back.
        try await ledger.heartbeat(a, lease: 60, now: 52)
        workers = try await ledger.workers()
        #expect(workers.first { $0.worker == a }?.stopped == 51)
        #expect(workers.first { $0.worker == a }?.heartbeat == 51)
        #expect(workers.first { $0.worker == b }?.stopped == nil)
    }
}
