import Foundation
import GRDB
import Synchronization

/// The embedded ledger: one SQLite file in WAL mode, written through GRDB.
///
/// Commits use `synchronous = NORMAL` (durable against process crashes; a power cut may undo
/// the last commits, which then simply run again); `sync()` flushes the write-ahead log to disk
/// before the engine deletes any file on the ledger's word.
public final class SQLiteLedger: Ledger {
    private let pool: DatabasePool
    /// The path of the SQLite file.
    public let path: String
    /// Seconds a write waits while another process holds the ledger locked.
    private static let busyTimeout = 30
    /// Writes between checkpoints of the log: a claim or a completion writes about 7.5 pages of
    /// 1 KiB (`sluice bench ledger`), so 250 keep the log under 2 MiB, of which the budget sees
    /// the first (the file is cut back to 1 MiB after each checkpoint) and keeps the rest in its
    /// slack (``Workspace/overheadSlack``). SQLite's own checkpoint at 2,000 pages is the
    /// backstop for writes that are larger. A checkpoint costs two fsyncs (log and database), so
    /// fewer of them is faster: 4× as many took a quarter of the ledger's throughput.
    private static let checkpointInterval = 250
    /// Frames (1 KiB pages) past which the log is truncated rather than left for reuse: the
    /// 1 MiB that `journal_size_limit` cuts it back to.
    private static let longLogFrames = 1024
    private let writes = Atomic<Int>(0)

    /// Opens (or creates) the ledger at `path` and migrates its schema. Throws `unavailable` when it
    /// cannot.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        // The writer never waits inside SQLite (see `write`); readers wait GRDB's default 10 s.
        configuration.busyMode = .immediateError
        configuration.prepareDatabase { db in
            // Small pages (new ledgers only; set before WAL mode fixes the size): a transition
            // dirties half a dozen pages of small rows, and each dirty page is written whole to
            // the log: 1 KiB pages gave 2,500–2,600 transitions/s where 4 KiB gave 1,800–1,950.
            try db.execute(sql: "PRAGMA page_size = 1024")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Keep the write-ahead log small: it counts against the workspace's budget. It is
            // checkpointed every `checkpointInterval` writes, at 2,000 pages at the latest, and
            // then cut back to 1 MiB.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 2000")
            try db.execute(sql: "PRAGMA journal_size_limit = 1048576")
        }
        do {
            // Opening is rare and short: here, and only here, a busy ledger is waited for in place
            // (another process's write, or its checkpoint emptying the log, can hold the lock the
            // connection's first statements need).
            let deadline = ContinuousClock.now + .seconds(Self.busyTimeout)
            var opened: DatabasePool?
            while opened == nil {
                do {
                    let pool = try DatabasePool(path: path, configuration: configuration)
                    try Self.migrator.migrate(pool)
                    opened = pool
                } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now < deadline {
                    usleep(20_000)
                }
            }
            pool = opened!
        } catch {
            throw LedgerError(.unavailable, "cannot open the ledger \(path): \(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
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
                    """)
        }
        // Events are never deleted, so a plain rowid key grows as AUTOINCREMENT's did, without
        // rewriting sqlite_sequence on every insert (one page fewer per transition).
        migrator.registerMigration("v2: events without AUTOINCREMENT") { db in
            try db.execute(
                sql: """
                    CREATE TABLE events_v2(
                        seq INTEGER PRIMARY KEY, time REAL NOT NULL, item TEXT, stage INTEGER,
                        kind TEXT NOT NULL, message TEXT NOT NULL);
                    INSERT INTO events_v2(seq, time, item, stage, kind, message) SELECT seq, time, item, stage, kind, message FROM events;
                    DROP TABLE events;
                    ALTER TABLE events_v2 RENAME TO events;
                    """)
        }
        // The bytes the budget holds for each running task, visible to `sluice status`.
        migrator.registerMigration("v3: reservations") { db in
            try db.execute(
                sql: """
                    ALTER TABLE tasks ADD COLUMN reserved INTEGER;
                    ALTER TABLE tasks ADD COLUMN reserved_area TEXT;
                    """)
        }
        // When a failed item's inputs were evicted to make room (retrying it fetches it again).
        migrator.registerMigration("v4: evictions") { db in
            try db.execute(sql: "ALTER TABLE items ADD COLUMN evicted REAL")
        }
        // Reservations as rows tied to the claim that made them (they lapse with its lease), and
        // the workers that share the run. Without a rowid, a row is one page written, not two:
        // the log grows with every write, and it counts against the budget.
        migrator.registerMigration("v5: reservations and workers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE reservations(
                        item TEXT NOT NULL, stage INTEGER NOT NULL, area TEXT NOT NULL, bytes INTEGER NOT NULL,
                        started REAL NOT NULL, PRIMARY KEY(item, stage, area)) WITHOUT ROWID;
                    CREATE TABLE workers(
                        id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,
                        is_run INTEGER NOT NULL DEFAULT 0, started REAL NOT NULL, heartbeat REAL NOT NULL, stopped REAL);
                    ALTER TABLE tasks DROP COLUMN reserved;
                    ALTER TABLE tasks DROP COLUMN reserved_area;
                    """)
        }
        // What a task weighs for a stage that batches by weight (pages, cells, …), set from the
        // item's input before the stage before it commits.
        migrator.registerMigration("v6: task weights") { db in
            try db.execute(sql: "ALTER TABLE tasks ADD COLUMN weight REAL")
        }
        // What ingest stages stored, in the transaction that completed their task.
        migrator.registerMigration("v7: ingested records") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ingested(
                        collection TEXT NOT NULL, item TEXT NOT NULL, name TEXT NOT NULL, content TEXT NOT NULL,
                        time REAL NOT NULL, PRIMARY KEY(collection, item, name))
                    """)
        }
        // The worker whose node-local scratch holds an item's files (only it claims the item).
        migrator.registerMigration("v8: pinned items") { db in
            try db.execute(sql: "ALTER TABLE items ADD COLUMN holder TEXT")
        }
        // What each area held over time, for the report and the dashboard.
        migrator.registerMigration("v9: disk samples") { db in
            try db.execute(
                sql: """
                    CREATE TABLE samples(
                        time REAL NOT NULL, worker TEXT NOT NULL, area TEXT NOT NULL,
                        committed INTEGER NOT NULL, reserved INTEGER NOT NULL, quota INTEGER);
                    CREATE INDEX samples_by_time ON samples(time);
                    """)
        }
        // The files and folders a running task will make, for the shared quota's `files` bound.
        migrator.registerMigration("v10: reserved files") { db in
            try db.execute(sql: "ALTER TABLE reservations ADD COLUMN files INTEGER NOT NULL DEFAULT 0")
        }
        // Append-only vocabularies (gene → token id) that the items of a run share.
        migrator.registerMigration("v11: vocabularies") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tokens(
                        vocabulary TEXT NOT NULL, name TEXT NOT NULL, token INTEGER NOT NULL,
                        PRIMARY KEY(vocabulary, name), UNIQUE(vocabulary, token))
                    """)
        }
        // When an item waiting for its group (or the barrier) gave up what it fetched to make
        // room: it is fetched again before its stage after the group's runs.
        migrator.registerMigration("v12: parked items") { db in
            try db.execute(sql: "ALTER TABLE items ADD COLUMN parked REAL")
        }
        return migrator
    }

    // MARK: Registration

    /// Adds the items (and groups) not registered yet, with one task per stage; items already known
    /// keep their progress (and those not started yet, in the same group, take their new spec). Throws when the workspace was made by a pipeline with other stages.
    nonisolated(nonsending) public func register(items: [ItemSpec], stageNames: [String], groupStages: Set<Int>, barrierStages: Set<Int>, now: Double) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let signature = stageNames.joined(separator: ",")
        try await write { db in
            if let existing = try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'stages'")) {
                guard existing == signature else {
                    throw LedgerError(
                        .pipelineChanged, "the workspace holds a run of a pipeline with other stages (\(existing)); this one has \(signature). Use another workspace, or remove \(path) to start over")
                }
            } else {
                try db.run(sql: "INSERT INTO meta(key, value) VALUES ('stages', ?)", arguments: [signature])
            }
            var position = try Int.fetchOne(try db.cachedStatement(sql: "SELECT COALESCE(MAX(position) + 1, 0) FROM items")) ?? 0
            var added = 0
            for item in items {
                let known = try Bool.fetchOne(try db.cachedStatement(sql: "SELECT 1 FROM items WHERE id = ?"), arguments: [item.name]) ?? false
                let spec = String(decoding: try encoder.encode(item), as: UTF8.self)
                if known {
                    // An item no task of which has started takes its new spec (a catalog refreshed
                    // to a new dataset version); one in its group still, so the group's tasks hold.
                    try db.run(sql: Self.respecify, arguments: [spec, item.size, item.name, spec, item.groupName])
                    continue
                }
                try db.run(
                    sql: "INSERT INTO items(id, position, spec, grp, bytes) VALUES (?, ?, ?, ?, ?)",
                    arguments: [item.name, position, spec, item.groupName, item.size])
                position += 1
                added += 1
                for stage in stageNames.indices {
                    try db.run(
                        sql: "INSERT INTO tasks(item, stage, position, state) VALUES (?, ?, ?, ?)",
                        arguments: [item.name, stage, position - 1, stage == 0 ? TaskState.pending.rawValue : TaskState.waiting.rawValue])
                }
            }
            let groups = try String.fetchAll(try db.cachedStatement(sql: "SELECT DISTINCT grp FROM items WHERE is_group = 0 AND grp IS NOT NULL ORDER BY grp"))
            // A group stage has one task per group; a barrier stage one task whose group is every item.
            let collective = groupStages.map { ($0, groups) } + barrierStages.map { ($0, [ItemSpec.everyItem]) }
            for (stage, groups) in collective.sorted(by: { $0.0 < $1.0 }) {
                for group in groups {
                    let id = ItemSpec.collectiveID(group)
                    if try Bool.fetchOne(try db.cachedStatement(sql: "SELECT 1 FROM items WHERE id = ?"), arguments: [id]) != true {
                        let name = group == ItemSpec.everyItem ? ItemSpec.defaultGroup : group
                        let spec = String(decoding: try encoder.encode(ItemSpec(name: id, sources: [], group: name)), as: UTF8.self)
                        try db.run(
                            sql: "INSERT INTO items(id, position, spec, grp, is_group) VALUES (?, ?, ?, ?, 1)",
                            arguments: [id, position, spec, group])
                        position += 1
                    }
                    let groupPosition = try Int.fetchOne(try db.cachedStatement(sql: "SELECT position FROM items WHERE id = ?"), arguments: [id]) ?? position
                    try db.run(
                        sql: "INSERT OR IGNORE INTO tasks(item, stage, position, is_group, state) VALUES (?, ?, ?, 1, 'waiting')",
                        arguments: [id, stage, groupPosition])
                }
            }
            if added > 0 {
                try Self.insertEvent(db, LedgerEvent.registered(added, now: now))
            }
        }
    }

    /// Gives a registered item a new spec unless one of its tasks has started or its group
    /// changed: spec, bytes, id, spec, group.
    private static let respecify = """
        UPDATE items SET spec = ?, bytes = ? WHERE id = ? AND is_group = 0 AND spec <> ? AND grp IS ?
            AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.item = items.id AND (t.attempts > 0 OR t.state NOT IN ('pending', 'waiting')))
        """

    /// The names of the stages the workspace's pipeline has (empty before the first run).
    nonisolated(nonsending) public func stageNames() async throws -> [String] {
        try await pool.read { db in
            let value = try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'stages'"))
            return value.map { $0.split(separator: ",").map(String.init) } ?? []
        }
    }

    /// The items registered, in their order.
    nonisolated(nonsending) public func items() async throws -> [ItemSpec] {
        let specs = try await pool.read { db in
            try String.fetchAll(try db.cachedStatement(sql: "SELECT spec FROM items WHERE is_group = 0 ORDER BY position"))
        }
        return try specs.map(Self.decode)
    }

    /// The item list stored under `key` (in `meta`, as `items:KEY`).
    nonisolated(nonsending) public func resolvedItems(key: String) async throws -> ResolvedItems? {
        let text = try await pool.read { db in
            try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = ?"), arguments: ["items:" + key])
        }
        return try text.map(ResolvedItems.decode)
    }

    /// Stores `resolved` unless a list is stored under its key (or `replacing`); returns the one kept.
    nonisolated(nonsending) public func store(_ resolved: ResolvedItems, replacing: Bool) async throws -> ResolvedItems {
        let text = try resolved.encoded()
        let kept = try await write { db in
            try db.run(
                sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO \(replacing ? "UPDATE SET value = excluded.value" : "NOTHING")",
                arguments: ["items:" + resolved.key, text])
            return try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = ?"), arguments: ["items:" + resolved.key])
        }
        return try kept.map(ResolvedItems.decode) ?? resolved
    }

    /// The condition that item `i` belongs to the group bound twice after it: the barrier's
    /// group, `*`, has every item.
    private static let isMember = "(i.grp = ? OR ? = '*')"

    // MARK: Claims and leases

    /// Returns running tasks to the queue: those whose lease expired, or all of them when `all`.
    /// Returns their keys.
    nonisolated(nonsending) public func reclaim(all: Bool, now: Double) async throws -> [TaskKey] {
        try await write { db in
            let condition = all ? "state = 'running'" : "state = 'running' AND lease_until < ?"
            let rows = try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        UPDATE tasks SET state = 'pending', owner = NULL, lease_until = NULL WHERE \(condition)
                        RETURNING item, stage
                        """), arguments: all ? [] : [now])
            let keys = rows.map { TaskKey(item: $0["item"], stage: $0["stage"]) }
            for key in keys {
                try Self.insertEvent(db, LedgerEvent.reclaimed(key, now: now))
            }
            // Rows of claims that ended count for nothing; they go here, off the hot path.
            try db.run(
                sql: """
                    DELETE FROM reservations AS r WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE \(Self.isCurrent))
                    """)
            return keys
        }
    }

    /// The running tasks whose lease expired at `now`.
    nonisolated(nonsending) public func expired(now: Double) async throws -> [TaskKey] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT item, stage FROM tasks WHERE state = 'running' AND lease_until < ?", arguments: [now]).map {
                TaskKey(item: $0["item"], stage: $0["stage"])
            }
        }
    }

    /// Claims up to `limit` ready tasks of `stage`, in item order, under a lease for `owner`.
    nonisolated(nonsending) public func claim(
        stage: Int, owner: String, limit: Int, minimum: Int, enough: Double?, maxWait: Double?, lease: Double, now: Double
    ) async throws -> [ClaimedTask] {
        try await write { db in
            // Both reads walk the (stage, state, position) index in order: no sort, however long
            // the queue. Each task's item comes with it (CROSS JOIN keeps tasks the outer loop).
            let pending = try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT t.rowid, t.position, t.weight, t.not_before, i.spec FROM tasks t CROSS JOIN items i ON i.id = t.item
                        WHERE t.stage = ? AND t.state = 'pending' AND t.is_group = 0 AND \(Self.notPinnedElsewhere) ORDER BY t.position LIMIT ?
                        """), arguments: [stage, owner, limit])
            let retrying = try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT t.rowid, t.position, t.weight, t.not_before, i.spec FROM tasks t CROSS JOIN items i ON i.id = t.item
                        WHERE t.stage = ? AND t.state = 'retrying' AND t.is_group = 0 AND t.not_before <= ? AND \(Self.notPinnedElsewhere)
                        ORDER BY t.position LIMIT ?
                        """), arguments: [stage, now, owner, limit])
            let ready = retrying.isEmpty ? pending : Array((pending + retrying).sorted { ($0[1] as Int64) < ($1[1] as Int64) }.prefix(limit))
            var chosen: [(id: Int64, item: ItemSpec)] = []
            var weight = 0.0
            var readySince = now
            for row in ready {
                let item = try Self.decode(row[4])
                chosen.append((row[0], item))
                weight += (row[2] as Double?) ?? Double(item.size ?? 0)
                readySince = min(readySince, row[3] as Double)
                if let enough, weight >= enough { break }
            }
            if chosen.isEmpty { return [] }
            if minimum > 1, chosen.count < minimum, !(enough.map { weight >= $0 } ?? false), !(maxWait.map { now - readySince >= $0 } ?? false) {
                // A batch waits for more items unless none can arrive any more.
                let upstream =
                    try Int.fetchOne(
                        try db.cachedStatement(
                            sql: """
                                SELECT COUNT(*) FROM tasks
                                WHERE stage = ? AND is_group = 0 AND (state = 'waiting' OR (state = 'retrying' AND not_before > ?))
                                """), arguments: [stage, now]) ?? 0
                if upstream > 0 { return [] }
            }
            var claimed: [ClaimedTask] = []
            for (id, item) in chosen {
                let attempts = try Self.start(db, rowid: id, owner: owner, until: now + lease, now: now)
                claimed.append(ClaimedTask(key: TaskKey(item: item.name, stage: stage), item: item, attempt: attempts))
                try Self.insertEvent(db, LedgerEvent.claimed(TaskKey(item: item.name, stage: stage), attempt: attempts, now: now))
            }
            return claimed
        }
    }

    /// Claims one group (or the barrier) whose members have all reached (or can never reach) `stage`;
    /// nil when none is ready.
    nonisolated(nonsending) public func claimGroup(stage: Int, owner: String, lease: Double, now: Double, first: Bool) async throws -> ClaimedTask? {
        try await write { db in
            if first {
                // A group's first stage is ready at once; members that reached it since go on
                // with their group's outcome.
                try db.run(sql: "UPDATE tasks SET state = 'pending' WHERE stage = ? AND is_group = 1 AND state = 'waiting'", arguments: [stage])
                let settled = try Row.fetchAll(
                    try db.cachedStatement(
                        sql: """
                            SELECT i.grp AS grp, t.state AS state, t.error_code AS code, t.error AS error FROM tasks t JOIN items i ON i.id = t.item
                            WHERE t.stage = ? AND i.is_group = 1 AND t.state IN ('done', 'failed')
                            """), arguments: [stage])
                for row in settled {
                    let group: String = row["grp"]
                    if row["state"] as String == TaskState.done.rawValue {
                        try Self.passMembers(db, of: group, at: stage, now: now)
                    } else {
                        let failure = TaskFailure(code: row["code"] ?? "stage.error", message: row["error"] ?? "the group's task failed")
                        try Self.failMembers(db, of: group, at: stage, failure, now: now)
                    }
                }
            }
            // Settle groups whose members have all arrived: ready when any member can go on, blocked otherwise.
            let waiting = try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT t.item AS id, i.grp AS grp FROM tasks t JOIN items i ON i.id = t.item
                        WHERE t.stage = ? AND i.is_group = 1 AND t.state = 'waiting'
                        """), arguments: [stage])
            for row in waiting {
                let group: String = row["grp"]
                let states = try String.fetchAll(
                    try db.cachedStatement(
                        sql: """
                            SELECT t.state FROM tasks t JOIN items i ON i.id = t.item
                            WHERE t.stage = ? AND i.is_group = 0 AND \(Self.isMember)
                            """), arguments: [stage, group, group])
                if states.contains(where: { $0 == TaskState.waiting.rawValue }) { continue }
                let next: TaskState = states.contains(TaskState.pending.rawValue) ? .pending : .blocked
                try db.run(sql: "UPDATE tasks SET state = ? WHERE item = ? AND stage = ?", arguments: [next.rawValue, row["id"] as String, stage])
            }
            guard
                let row = try Row.fetchOne(
                    try db.cachedStatement(
                        sql: """
                            SELECT t.rowid AS rid, t.item AS id, i.spec AS spec, i.grp AS grp FROM tasks t JOIN items i ON i.id = t.item
                            WHERE t.stage = ? AND i.is_group = 1 AND t.state IN ('pending', 'retrying') AND t.not_before <= ?
                            ORDER BY i.position LIMIT 1
                            """), arguments: [stage, now])
            else { return nil }
            let attempts = try Self.start(db, rowid: row["rid"], owner: owner, until: now + lease, now: now)
            let members = try String.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT i.spec FROM tasks t JOIN items i ON i.id = t.item
                        WHERE t.stage = ? AND i.is_group = 0 AND \(Self.isMember) AND t.state = 'pending' ORDER BY i.position
                        """), arguments: [stage, row["grp"] as String, row["grp"] as String]
            ).map(Self.decode)
            let item = try Self.decode(row["spec"])
            try Self.insertEvent(db, LedgerEvent.claimed(TaskKey(item: item.name, stage: stage), attempt: attempts, members: members.count, now: now))
            return ClaimedTask(key: TaskKey(item: item.name, stage: stage), item: item, members: members, attempt: attempts)
        }
    }

    /// Moves the members of `group` that wait at its group stage `stage` on: their task there is
    /// done, their next stage's ready (a parked member's fetch first: its completion queues the
    /// next stage).
    private static func passMembers(_ db: Database, of group: String?, at stage: Int, now: Double) throws {
        let members = try waitingMembers(db, of: group, at: stage)
        for member in members {
            try db.run(sql: "UPDATE tasks SET state = 'done', finished = ? WHERE item = ? AND stage = ?", arguments: [now, member, stage])
            let parked = try Self.isParked(db, member)
            try db.run(
                sql: "UPDATE tasks SET state = 'pending', not_before = ? WHERE item = ? AND stage = ? AND state = ?",
                arguments: [now, member, parked ? 0 : stage + 1, parked ? "done" : "waiting"])
        }
    }

    /// The members of `group` that wait at its group stage `stage` (their task there pending).
    private static func waitingMembers(_ db: Database, of group: String?, at stage: Int) throws -> [String] {
        try String.fetchAll(
            try db.cachedStatement(
                sql: """
                    SELECT t.item FROM tasks t JOIN items i ON i.id = t.item
                    WHERE t.stage = ? AND i.is_group = 0 AND \(Self.isMember) AND t.state = 'pending'
                    """), arguments: [stage, group, group])
    }

    /// Fails the members of `group` that wait at its group stage `stage` with the group's
    /// `failure`, and blocks their later stages.
    private static func failMembers(_ db: Database, of group: String?, at stage: Int, _ failure: TaskFailure, now: Double) throws {
        let members = try waitingMembers(db, of: group, at: stage)
        for member in members {
            try db.run(
                sql: "UPDATE tasks SET state = 'failed', error_code = ?, error = ?, finished = ? WHERE item = ? AND stage = ?",
                arguments: [failure.code, "group \(group ?? "?"): \(failure.message)", now, member, stage])
            try db.run(sql: "UPDATE tasks SET state = 'blocked' WHERE item = ? AND stage > ? AND state = 'waiting'", arguments: [member, stage])
        }
    }

    /// Records what `task` weighs for a stage that batches by weight (before it becomes ready).
    nonisolated(nonsending) public func weigh(_ task: TaskKey, _ weight: Double) async throws {
        try await write { db in
            try db.run(sql: "UPDATE tasks SET weight = ? WHERE item = ? AND stage = ?", arguments: [weight, task.item, task.stage])
        }
    }

    /// Records that `worker` is alive and extends the leases of every task it runs.
    nonisolated(nonsending) public func heartbeat(_ worker: WorkerRecord, lease: Double, now: Double) async throws {
        try await write { db in
            try db.run(
                sql: """
                    INSERT INTO workers(id, host, pid, is_run, started, heartbeat) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET heartbeat = excluded.heartbeat WHERE workers.stopped IS NULL
                    """, arguments: [worker.id, worker.host, worker.pid, worker.isRun, now, now])
            try db.run(sql: "UPDATE tasks SET lease_until = ? WHERE owner = ? AND state = 'running'", arguments: [now + lease, worker.id])
        }
    }

    /// Records that the worker `id` stopped on its own.
    nonisolated(nonsending) public func retire(worker id: String, now: Double) async throws {
        try await write { db in
            try db.run(sql: "UPDATE workers SET stopped = ?, heartbeat = ? WHERE id = ?", arguments: [now, now, id])
        }
    }

    /// Every worker that has run, the most recently heard of first.
    nonisolated(nonsending) public func workers() async throws -> [WorkerStatus] {
        try await pool.read { db in
            try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT w.*, (SELECT COUNT(*) FROM tasks t WHERE t.owner = w.id AND t.state = 'running') AS running
                        FROM workers w ORDER BY w.heartbeat DESC, w.id
                        """)
            ).map { row in
                WorkerStatus(
                    worker: WorkerRecord(id: row["id"], host: row["host"], pid: row["pid"], isRun: row["is_run"]),
                    started: row["started"], heartbeat: row["heartbeat"], stopped: row["stopped"], running: row["running"])
            }
        }
    }

    // MARK: Outcomes

    /// Marks the task done, records its artifacts, makes the item's next stage pending and releases
    /// the artifacts of `releasing`. Returns the artifacts it released.
    @discardableResult
    nonisolated(nonsending) public func complete(
        _ task: TaskKey, by owner: String, artifacts: [ArtifactRecord], releasing: [TaskKey], ingesting: [IngestRecord], now: Double
    ) async throws -> [ArtifactRecord] {
        try await write { db in
            var released: [ArtifactRecord] = []
            let bytes = artifacts.reduce(Int64(0)) { $0 + $1.bytes }
            guard
                let row = try Row.fetchOne(
                    try db.cachedStatement(
                        sql: """
                            UPDATE tasks SET state = 'done', owner = NULL, lease_until = NULL, finished = ?, bytes = ?, error = NULL, error_code = NULL
                            WHERE item = ? AND stage = ? AND state = 'running' AND owner = ? RETURNING is_group, attempts
                            """), arguments: [now, bytes, task.item, task.stage, owner])
            else { throw LedgerError.leaseLost(task) }
            let isGroup: Bool = row["is_group"]
            let attempts: Int = row["attempts"]
            for artifact in artifacts {
                try db.run(
                    sql: """
                        INSERT OR REPLACE INTO artifacts(item, stage, path, area, bytes, sha256, state) VALUES (?, ?, ?, ?, ?, ?, 'live')
                        """, arguments: [artifact.task.item, artifact.task.stage, artifact.path, artifact.area.rawValue, artifact.bytes, artifact.sha256])
            }
            for input in releasing {
                released += try Row.fetchAll(
                    try db.cachedStatement(
                        sql: "UPDATE artifacts SET state = 'released' WHERE item = ? AND stage = ? AND state = 'live' RETURNING item, stage, path, area, bytes, sha256, state"),
                    arguments: [input.item, input.stage]
                ).map(Self.artifact)
            }
            if isGroup {
                let group = try String.fetchOne(try db.cachedStatement(sql: "SELECT grp FROM items WHERE id = ?"), arguments: [task.item])
                try Self.passMembers(db, of: group, at: task.stage, now: now)
            } else if task.stage == 0, try Self.isParked(db, task.item) {
                // Fetched again after it was parked: its first stage still to run is next.
                try db.run(sql: "UPDATE items SET parked = NULL WHERE id = ?", arguments: [task.item])
                try db.run(
                    sql: """
                        UPDATE tasks SET state = 'pending', not_before = ?1 WHERE item = ?2 AND state = 'waiting'
                          AND stage = (SELECT MIN(stage) FROM tasks WHERE item = ?2 AND state <> 'done')
                        """, arguments: [now, task.item])
                try Self.insertEvent(db, LedgerEvent.refetched(task.item, bytes: bytes, now: now))
            } else {
                try db.run(
                    sql: "UPDATE tasks SET state = 'pending', not_before = ? WHERE item = ? AND stage = ? AND state = 'waiting'",
                    arguments: [now, task.item, task.stage + 1])
            }
            for record in ingesting {
                try db.run(
                    sql: "INSERT INTO ingested(collection, item, name, content, time) VALUES (?, ?, ?, ?, ?)",
                    arguments: [record.collection, record.item, record.name, record.content, now])
            }
            try Self.insertEvent(db, LedgerEvent.done(task, attempt: attempts, artifacts: artifacts.count, bytes: bytes, now: now))
            return released
        }
    }

    /// Records a failure: `retryAt` puts the task back in the queue at that time; nil fails it for
    /// good and blocks the item's later stages.
    nonisolated(nonsending) public func fail(_ task: TaskKey, by owner: String, _ failure: TaskFailure, retryAt: Double?, now: Double) async throws {
        try await write { db in
            if let retryAt {
                try db.run(
                    sql: """
                        UPDATE tasks SET state = 'retrying', owner = NULL, lease_until = NULL, not_before = ?, error_code = ?, error = ?, finished = ?
                        WHERE item = ? AND stage = ? AND state = 'running' AND owner = ?
                        """, arguments: [retryAt, failure.code, failure.message, now, task.item, task.stage, owner])
                if db.changesCount == 0 { return }
                try Self.insertEvent(
                    db,
                    LedgerEvent.retrying(task, failure, at: retryAt, now: now))
                return
            }
            try db.run(
                sql: """
                    UPDATE tasks SET state = 'failed', owner = NULL, lease_until = NULL, error_code = ?, error = ?, finished = ?
                    WHERE item = ? AND stage = ? AND state = 'running' AND owner = ?
                    """, arguments: [failure.code, failure.message, now, task.item, task.stage, owner])
            if db.changesCount == 0 { return }
            let isGroup = try Bool.fetchOne(try db.cachedStatement(sql: "SELECT is_group FROM items WHERE id = ?"), arguments: [task.item]) ?? false
            if isGroup {
                let group = try String.fetchOne(try db.cachedStatement(sql: "SELECT grp FROM items WHERE id = ?"), arguments: [task.item])
                try Self.failMembers(db, of: group, at: task.stage, failure, now: now)
            } else {
                try db.run(sql: "UPDATE tasks SET state = 'blocked' WHERE item = ? AND stage > ? AND state = 'waiting'", arguments: [task.item, task.stage])
            }
            try Self.insertEvent(db, LedgerEvent.failed(task, failure, now: now))
        }
    }

    /// Gives a claimed task back without counting the attempt (a graceful stop).
    nonisolated(nonsending) public func release(_ task: TaskKey, by owner: String, now: Double) async throws {
        try await write { db in
            try db.run(
                sql: """
                    UPDATE tasks SET state = 'pending', owner = NULL, lease_until = NULL, attempts = MAX(attempts - 1, 0)
                    WHERE item = ? AND stage = ? AND state = 'running' AND owner = ?
                    """, arguments: [task.item, task.stage, owner])
            if db.changesCount == 0 { return }
            try Self.insertEvent(db, LedgerEvent.released(task, now: now))
        }
    }

    // MARK: Artifacts

    /// Artifacts in a state (e.g. released ones still to delete).
    nonisolated(nonsending) public func artifacts(in state: ArtifactRecord.State) async throws -> [ArtifactRecord] {
        try await pool.read { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM artifacts WHERE state = ? ORDER BY item, stage, path"), arguments: [state.rawValue]).map(Self.artifact)
        }
    }

    /// The records ingested into `collection`, in item then name order.
    nonisolated(nonsending) public func ingested(collection: String) async throws -> [IngestRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                try db.cachedStatement(sql: "SELECT item, name, content FROM ingested WHERE collection = ? ORDER BY item, name"), arguments: [collection]
            ).map { IngestRecord(collection: collection, item: $0["item"], name: $0["name"], content: $0["content"]) }
        }
    }

    nonisolated(nonsending) public func assignTokens(_ names: [String], in vocabulary: String, first: Int32) async throws -> [String: Int32] {
        let wanted = Set(names)
        return try await write { db in
            var ids: [String: Int32] = [:]
            let known = try db.cachedStatement(sql: "SELECT name, token FROM tokens WHERE vocabulary = ?")
            for row in try Row.fetchAll(known, arguments: [vocabulary]) {
                let name: String = row[0]
                if wanted.contains(name) { ids[name] = row[1] }
            }
            let fresh = wanted.filter { ids[$0] == nil }.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            guard !fresh.isEmpty else { return ids }
            var next = try Int32.fetchOne(db, sql: "SELECT MAX(token) + 1 FROM tokens WHERE vocabulary = ?", arguments: [vocabulary]) ?? first
            let insert = try db.cachedStatement(sql: "INSERT INTO tokens(vocabulary, name, token) VALUES (?, ?, ?)")
            for name in fresh {
                try insert.execute(arguments: [vocabulary, name, next])
                ids[name] = next
                next += 1
            }
            return ids
        }
    }

    nonisolated(nonsending) public func tokens(in vocabulary: String) async throws -> [(name: String, token: Int32)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, token FROM tokens WHERE vocabulary = ? ORDER BY token", arguments: [vocabulary]).map { ($0[0], $0[1]) }
        }
    }

    /// Live artifacts of an item (and its groups), all stages.
    nonisolated(nonsending) public func liveArtifacts(item: String) async throws -> [ArtifactRecord] {
        try await pool.read { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM artifacts WHERE item = ? AND state = 'live' ORDER BY stage, path"), arguments: [item]).map(Self.artifact)
        }
    }

    /// Moves artifacts to a new state.
    nonisolated(nonsending) public func mark(_ artifacts: [ArtifactRecord], _ state: ArtifactRecord.State) async throws {
        try await write { db in
            for artifact in artifacts {
                try db.run(
                    sql: "UPDATE artifacts SET state = ? WHERE item = ? AND stage = ? AND path = ?",
                    arguments: [state.rawValue, artifact.task.item, artifact.task.stage, artifact.path])
            }
        }
    }

    // MARK: Failed items' inputs

    /// Items that failed for good and still hold inputs in `raw` or `interim`, the oldest failure
    /// first. A negative `limit`: all of them.
    nonisolated(nonsending) public func evictionCandidates(limit: Int, holder: String?) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT t.item FROM tasks t JOIN items i ON i.id = t.item
                        WHERE t.state = 'failed' AND i.is_group = 0 AND i.evicted IS NULL
                          AND (?2 IS NULL OR i.holder IS NULL OR i.holder = ?2)
                          AND EXISTS (SELECT 1 FROM artifacts a WHERE a.item = t.item AND a.state = 'live' AND a.area IN ('raw', 'interim'))
                        GROUP BY t.item ORDER BY MIN(t.finished), MIN(i.position) LIMIT ?1
                        """), arguments: [limit, holder])
        }
    }

    /// Releases a failed item's inputs in `raw` and `interim`, records why, and returns them for the
    /// caller to delete.
    nonisolated(nonsending) public func evict(item: String, reason: String, now: Double) async throws -> [ArtifactRecord] {
        try await write { db in
            let doomed = try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT * FROM artifacts WHERE item = ? AND state = 'live' AND area IN ('raw', 'interim') ORDER BY stage, path
                        """), arguments: [item]
            ).map(Self.artifact)
            try db.run(sql: "UPDATE artifacts SET state = 'released' WHERE item = ? AND state = 'live' AND area IN ('raw', 'interim')", arguments: [item])
            try db.run(sql: "UPDATE items SET evicted = ? WHERE id = ?", arguments: [now, item])
            let bytes = doomed.reduce(Int64(0)) { $0 + $1.bytes }
            try Self.insertEvent(
                db,
                LedgerEvent.evicted(item, files: doomed.count, bytes: bytes, reason: reason, now: now))
            return doomed.map {
                var record = $0; record.state = .released; return record
            }
        }
    }

    // MARK: Parked items

    /// Whether `item` is parked: what it fetched was released while it waited for its group.
    private static func isParked(_ db: Database, _ item: String) throws -> Bool {
        try Double.fetchOne(try db.cachedStatement(sql: "SELECT parked FROM items WHERE id = ?"), arguments: [item]) != nil
    }

    /// Items waiting for their group (or the barrier) at the collective stage `stage`, unparked,
    /// that hold what the source stage fetched: the last item first.
    nonisolated(nonsending) public func parkingCandidates(at stage: Int, limit: Int, holder: String?) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT i.id FROM tasks t JOIN items i ON i.id = t.item
                        WHERE t.stage = ?1 AND t.state = 'pending' AND i.is_group = 0 AND i.parked IS NULL
                          AND (?3 IS NULL OR i.holder IS NULL OR i.holder = ?3)
                          AND EXISTS (SELECT 1 FROM artifacts a WHERE a.item = i.id AND a.stage = 0 AND a.state = 'live' AND a.area IN ('raw', 'interim'))
                        ORDER BY i.position DESC LIMIT ?2
                        """), arguments: [stage, limit, holder])
        }
    }

    /// Releases what the source stage fetched for `item`, waiting at the collective stage
    /// `stage`, and marks it parked; none when it is not waiting there (or already parked).
    nonisolated(nonsending) public func park(item: String, at stage: Int, reason: String, now: Double) async throws -> [ArtifactRecord] {
        try await write { db in
            let waiting = try String.fetchOne(
                try db.cachedStatement(
                    sql: """
                        SELECT t.state FROM tasks t JOIN items i ON i.id = t.item
                        WHERE t.item = ? AND t.stage = ? AND i.is_group = 0 AND i.parked IS NULL
                        """), arguments: [item, stage])
            guard waiting == TaskState.pending.rawValue else { return [] }
            let parked = try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        UPDATE artifacts SET state = 'released' WHERE item = ? AND stage = 0 AND state = 'live' AND area IN ('raw', 'interim')
                        RETURNING item, stage, path, area, bytes, sha256, state
                        """), arguments: [item]
            ).map(Self.artifact).sorted { $0.path < $1.path }
            guard !parked.isEmpty else { return [] }
            try db.run(sql: "UPDATE items SET parked = ? WHERE id = ?", arguments: [now, item])
            try Self.insertEvent(
                db, LedgerEvent.parked(item, at: stage, files: parked.count, bytes: parked.reduce(0) { $0 + $1.bytes }, reason: reason, now: now))
            return parked
        }
    }

    // MARK: Reading

    /// Sets what the running `task` holds in each area of `amounts` (0 drops it). With `quota`,
    /// only when all it would then hold fits beside every other task's holdings; returns whether
    /// it did.
    nonisolated(nonsending) public func reserve(
        _ task: TaskKey, _ amounts: [Area: Int64], files: (count: Int, area: Area)?, quota: SharedQuota?, now: Double
    ) async throws -> Bool {
        try await write { db in
            if let quota, amounts.values.contains(where: { $0 > 0 }) {
                let committed = try Row.fetchAll(try db.cachedStatement(sql: Self.committedByArea), arguments: [DiskUsage.blockSize])
                    .map { (area: $0["area"] as String, bytes: $0["bytes"] as Int64, files: $0["files"] as Int, mine: false) }
                let reserved = try Row.fetchAll(try db.cachedStatement(sql: Self.reservedByArea), arguments: [task.item, task.stage])
                    .map { (area: $0["area"] as String, bytes: $0["bytes"] as Int64, files: $0["files"] as Int, mine: $0["mine"] as Bool) }
                guard quota.admits(amounts, files: files, held: committed + reserved) else { return false }
            }
            for (area, bytes) in amounts.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                if bytes > 0 {
                    try db.run(
                        sql: """
                            INSERT OR REPLACE INTO reservations(item, stage, area, bytes, files, started)
                            SELECT item, stage, ?, ?, ?, started FROM tasks WHERE item = ? AND stage = ? AND state = 'running'
                            """, arguments: [area.rawValue, bytes, files?.area == area ? files!.count : 0, task.item, task.stage])
                } else {
                    try db.run(sql: "DELETE FROM reservations WHERE item = ? AND stage = ? AND area = ?", arguments: [task.item, task.stage, area.rawValue])
                }
            }
            return true
        }
    }

    /// Committed bytes per area, each file counted as the engine reserves it (whole blocks and
    /// one for its folder): the artifacts not deleted yet; and their files and folders (each
    /// file, its stage's folder and its item's).
    private static let committedByArea = """
        SELECT area, SUM(CASE WHEN bytes <= 0 THEN ?1 ELSE (bytes + ?1 - 1) / ?1 * ?1 + ?1 END) AS bytes,
            COUNT(*) + COUNT(DISTINCT item || '/' || stage) + COUNT(DISTINCT item) AS files
        FROM artifacts WHERE state != 'deleted' AND NOT \(NodeLocalFiles.onANode) GROUP BY area
        """

    /// A task whose item (`i`) is not pinned to a worker other than the claimer (`?`).
    private static let notPinnedElsewhere = "(i.holder IS NULL OR i.holder = ?)"

    /// Reserved bytes per area, the task's own (`mine`) apart: rows of claims still running (a
    /// dead worker's too, until its task is taken back and its files removed).
    private static let reservedByArea = """
        SELECT r.area AS area, SUM(r.bytes) AS bytes, SUM(r.files) AS files, (r.item = ? AND r.stage = ?) AS mine FROM reservations r
        JOIN tasks t ON t.item = r.item AND t.stage = r.stage AND t.started = r.started
        WHERE t.state = 'running'
        GROUP BY r.area, mine
        """

    /// A reservation row `r` made by task `t`'s claim, while that claim runs.
    private static let isCurrent = "r.item = t.item AND r.stage = t.stage AND r.started = t.started AND t.state = 'running'"

    /// Every task, in item then stage order.
    nonisolated(nonsending) public func tasks() async throws -> [TaskStatus] {
        try await pool.read { db in try Self.taskStatuses(db, where: "", orderBy: "i.position, t.stage") }
    }

    nonisolated(nonsending) public func tasks(of item: String) async throws -> [TaskStatus] {
        try await pool.read { db in try Self.taskStatuses(db, where: "WHERE t.item = ?", orderBy: "t.stage", [item]) }
    }

    nonisolated(nonsending) public func tasks(in state: TaskState, limit: Int) async throws -> [TaskStatus] {
        let order = state == .running ? "t.started, i.position" : "t.finished DESC, i.position"
        return try await pool.read { db in try Self.taskStatuses(db, where: "WHERE t.state = ?", orderBy: order, limit: limit, [state.rawValue]) }
    }

    nonisolated(nonsending) public func overview() async throws -> LedgerOverview {
        try await pool.read { db in
            var counts: [Int: [TaskState: Int]] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT stage, state, COUNT(*) AS n FROM tasks GROUP BY stage, state")) {
                if let state = TaskState(rawValue: row["state"]) { counts[row["stage"], default: [:]][state] = row["n"] }
            }
            let items = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COUNT(*) AS items, COALESCE(SUM(failed), 0) AS failed, COALESCE(SUM(failed = 0 AND open = 0), 0) AS done
                        FROM (SELECT MAX(state = 'failed') AS failed, MAX(state <> 'done') AS open FROM tasks WHERE is_group = 0 GROUP BY item)
                        """))
            let (all, failed, done): (Int, Int, Int) = (items?["items"] ?? 0, items?["failed"] ?? 0, items?["done"] ?? 0)
            return LedgerOverview(counts: counts, done: done, failed: failed, unfinished: all - done - failed)
        }
    }

    /// The tasks a `WHERE` clause (on `t`, the tasks, and `i`, their items) selects with
    /// `arguments`, in `orderBy` order (`limit` of them at most), with what they hold reserved.
    private static func taskStatuses(
        _ db: Database, where clause: String, orderBy: String, limit: Int? = nil, _ arguments: StatementArguments = []
    ) throws -> [TaskStatus] {
        try Row.fetchAll(
            try db.cachedStatement(
                sql: """
                    SELECT t.*, i.is_group AS is_group,
                        (SELECT SUM(bytes) FROM reservations r WHERE \(Self.isCurrent)) AS reserved,
                        (SELECT area FROM reservations r WHERE \(Self.isCurrent) ORDER BY bytes DESC LIMIT 1) AS reserved_area
                    FROM tasks t JOIN items i ON i.id = t.item \(clause) ORDER BY \(orderBy)\(limit == nil ? "" : " LIMIT ?")
                    """), arguments: arguments + StatementArguments(limit.map { [$0] } ?? [])
        ).map { row in
            let code: String? = row["error_code"]
            let message: String? = row["error"]
            return TaskStatus(
                item: row["item"], stage: row["stage"], state: TaskState(rawValue: row["state"]) ?? .waiting,
                attempts: row["attempts"], failure: code.map { TaskFailure(code: $0, message: message ?? "") },
                started: row["started"], finished: row["finished"], bytes: row["bytes"], isGroup: row["is_group"],
                reserved: row["reserved"], reservedArea: (row["reserved_area"] as String?).flatMap(Area.init(rawValue:)))
        }
    }

    /// How many tasks of `stage` are in each state.
    nonisolated(nonsending) public func counts(stage: Int) async throws -> [TaskState: Int] {
        try await pool.read { db in
            var result: [TaskState: Int] = [:]
            for row in try Row.fetchAll(
                try db.cachedStatement(
                    sql: """
                        SELECT state, COUNT(*) AS n FROM tasks WHERE stage = ? AND is_group = 0 GROUP BY state
                        """), arguments: [stage])
            {
                if let state = TaskState(rawValue: row["state"]) { result[state] = row["n"] }
            }
            return result
        }
    }

    /// The earliest time a retrying task of `stage` becomes ready, if any.
    nonisolated(nonsending) public func nextRetry(stage: Int) async throws -> Double? {
        try await pool.read { db in
            try Double.fetchOne(try db.cachedStatement(sql: "SELECT MIN(not_before) FROM tasks WHERE stage = ? AND state = 'retrying'"), arguments: [stage])
        }
    }

    // MARK: Node-local scratch

    /// Pins `item` to the worker `holder`.
    nonisolated(nonsending) public func pin(item: String, to holder: String) async throws {
        try await write { db in try db.run(sql: "UPDATE items SET holder = ? WHERE id = ?", arguments: [holder, item]) }
    }

    /// Every pinned item, with its holder.
    nonisolated(nonsending) public func pins() async throws -> [String: String] {
        try await pool.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, holder FROM items WHERE holder IS NOT NULL").map { ($0["id"], $0["holder"]) })
        }
    }

    /// Unpins `item`, marks its node-local files deleted and, with `stage`, sends it back there.
    nonisolated(nonsending) public func restart(item: String, pinnedTo holder: String, from stage: Int?, now: Double) async throws {
        try await write { db in
            let current = try String.fetchOne(db, sql: "SELECT holder FROM items WHERE id = ?", arguments: [item])
            guard current == holder else { return }
            try db.run(sql: "UPDATE artifacts SET state = 'deleted' WHERE item = ? AND state != 'deleted' AND \(NodeLocalFiles.area)", arguments: [item])
            if let stage {
                try db.run(sql: "UPDATE artifacts SET state = 'released' WHERE item = ? AND stage >= ? AND state = 'live'", arguments: [item, stage])
                try db.run(
                    sql: """
                        UPDATE tasks SET state = CASE WHEN stage = ? THEN 'pending' ELSE 'waiting' END, owner = NULL, lease_until = NULL, not_before = ?
                        WHERE item = ? AND stage >= ? AND is_group = 0
                        """, arguments: [stage, now, item, stage])
            }
            try db.run(sql: "UPDATE items SET holder = NULL WHERE id = ?", arguments: [item])
            if let stage { try Self.insertEvent(db, LedgerEvent.restarted(item, from: stage, now: now)) }
        }
    }

    /// Puts failed (and their blocked) tasks back in the queue: of `items`, or all failed ones when
    /// nil. Returns how many.
    nonisolated(nonsending) public func retry(items: [String]?, now: Double) async throws -> Int {
        try await write { db in
            var targets: [String]
            if let items {
                targets = items
                for item in items where try Bool.fetchOne(try db.cachedStatement(sql: "SELECT 1 FROM items WHERE id = ?"), arguments: [item]) != true {
                    throw LedgerError(.unknownItem, "no item named '\(item)' in this workspace")
                }
            } else {
                targets = try String.fetchAll(try db.cachedStatement(sql: "SELECT DISTINCT item FROM tasks WHERE state = 'failed'"))
            }
            var count = 0
            for item in targets {
                let stages = try Int.fetchAll(try db.cachedStatement(sql: "SELECT stage FROM tasks WHERE item = ? AND state = 'failed'"), arguments: [item])
                guard !stages.isEmpty else { continue }
                let evicted = try Double.fetchOne(try db.cachedStatement(sql: "SELECT evicted FROM items WHERE id = ?"), arguments: [item]) != nil
                if evicted {
                    // Its inputs are gone: it starts again from the first stage, and what its
                    // earlier stages left is released (deleted by the next run before it starts).
                    try db.run(
                        sql: """
                            UPDATE tasks SET state = CASE WHEN stage = 0 THEN 'pending' ELSE 'waiting' END, attempts = 0, not_before = 0,
                            error = NULL, error_code = NULL, owner = NULL, lease_until = NULL WHERE item = ?
                            """, arguments: [item])
                    try db.run(sql: "UPDATE artifacts SET state = 'released' WHERE item = ? AND state = 'live'", arguments: [item])
                    try db.run(sql: "UPDATE items SET evicted = NULL WHERE id = ?", arguments: [item])
                } else {
                    for stage in stages {
                        try db.run(
                            sql: """
                                UPDATE tasks SET state = 'pending', attempts = 0, not_before = 0, error = NULL, error_code = NULL WHERE item = ? AND stage = ?
                                """, arguments: [item, stage])
                        try db.run(sql: "UPDATE tasks SET state = 'waiting' WHERE item = ? AND stage > ? AND state = 'blocked'", arguments: [item, stage])
                    }
                }
                // A group (or the barrier) that gave up because this member failed waits for it again.
                try db.run(
                    sql: """
                        UPDATE tasks SET state = 'waiting' WHERE state = 'blocked' AND item IN
                        (SELECT id FROM items WHERE is_group = 1 AND (grp = (SELECT grp FROM items WHERE id = ?) OR grp = '*'))
                        """, arguments: [item])
                count += stages.count
                try Self.insertEvent(
                    db,
                    LedgerEvent.retried(item, stage: stages.first, evicted: evicted, now: now))
            }
            return count
        }
    }

    // MARK: Events

    /// Appends an event.
    nonisolated(nonsending) public func record(_ event: LedgerEvent) async throws {
        try await write { db in try Self.insertEvent(db, event) }
    }

    nonisolated(nonsending) public func record(samples: [DiskSample]) async throws {
        guard !samples.isEmpty else { return }
        try await write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO samples(time, worker, area, committed, reserved, quota) VALUES (?, ?, ?, ?, ?, ?)")
            for sample in samples {
                try statement.execute(arguments: [sample.time, sample.worker, sample.area, sample.committed, sample.reserved, sample.quota])
            }
        }
    }

    nonisolated(nonsending) public func samples(since: Double) async throws -> [DiskSample] {
        try await pool.read { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM samples WHERE time >= ? ORDER BY time, rowid"), arguments: [since]).map { row in
                DiskSample(
                    time: row["time"], worker: row["worker"], area: row["area"], committed: row["committed"], reserved: row["reserved"],
                    quota: row["quota"])
            }
        }
    }

    /// Events after `sequence`, oldest first, at most `limit` of them.
    nonisolated(nonsending) public func events(after sequence: Int64, limit: Int) async throws -> [LedgerEvent] {
        try await pool.read { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?"), arguments: [sequence, limit]).map { row in
                LedgerEvent(sequence: row["seq"], time: row["time"], item: row["item"], stage: row["stage"], kind: row["kind"], message: row["message"])
            }
        }
    }

    /// Events of one kind, oldest first.
    nonisolated(nonsending) public func events(kind: String) async throws -> [LedgerEvent] {
        try await pool.read { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM events WHERE kind = ? ORDER BY seq"), arguments: [kind]).map { row in
                LedgerEvent(sequence: row["seq"], time: row["time"], item: row["item"], stage: row["stage"], kind: row["kind"], message: row["message"])
            }
        }
    }

    /// Flushes the write-ahead log (one fsync: the commits in it survive a power cut, replayed
    /// when the ledger is opened next), on the writer's queue so that every commit made before
    /// the call is in it. Without a log (just checkpointed), the checkpoint synced the file.
    nonisolated(nonsending) public func sync() async throws {
        let log = path + "-wal"
        try await pool.writeWithoutTransaction { _ in
            let descriptor = open(log, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else {
                throw LedgerError(.unavailable, "cannot flush the ledger's log \(log) to disk (errno \(errno))")
            }
        }
    }

    /// Empties the write-ahead log (a truncating checkpoint) when no reader holds it; while one
    /// does, it fails at once and the log stays.
    nonisolated(nonsending) public func compact() async throws {
        _ = try await pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }

    // MARK: Helpers

    /// Runs `updates` in one immediate transaction, at once on the calling thread: a transition
    /// takes tens of microseconds, less than the hop to GRDB's queue and back (which cost a
    /// third of the ledger's throughput), and the caller's executor is kept. Nothing waits on
    /// that thread: while another process (`sluice retry`, a second worker) holds the write lock,
    /// SQLite answers busy at once and the write is tried again after a pause, for up to
    /// ``busyTimeout`` seconds; and every ``checkpointInterval`` writes the log is checkpointed
    /// (its fsyncs) on GRDB's own queue.
    nonisolated(nonsending) private func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(Self.busyTimeout)
        var pause = Duration.milliseconds(1)
        while true {
            do {
                let result = try writeNow(updates)
                if writes.add(1, ordering: .relaxed).newValue % Self.checkpointInterval == 0 {
                    let log = try await pool.writeWithoutTransaction { try $0.checkpoint(.passive) }
                    // Readers holding older snapshots keep a passive checkpoint from finishing, and
                    // the log then grows past its 1 MiB cut on a loaded machine — bytes the budget
                    // counts, which can stop a run with a tight budget. Past the cut, a truncating
                    // checkpoint empties it once no reader is left; while one is, it fails at once
                    // (no busy wait) and is tried again at the next interval.
                    if log.walFrameCount > Self.longLogFrames {
                        _ = try? await pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
                    }
                }
                return result
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now < deadline {
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(50))
            }
        }
    }

    private func writeNow<T>(_ updates: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try updates(db)
                return .commit
            }
            return result!
        }
    }

    /// Marks the task in `rowid` running under `owner`'s lease (one more attempt); returns its attempts.
    private static func start(_ db: Database, rowid: Int64, owner: String, until lease: Double, now: Double) throws -> Int {
        try Int.fetchOne(
            try db.cachedStatement(
                sql: """
                    UPDATE tasks SET state = 'running', owner = ?, lease_until = ?, attempts = attempts + 1, started = ?
                    WHERE rowid = ? RETURNING attempts
                    """), arguments: [owner, lease, now, rowid]) ?? 1
    }

    private static func insertEvent(_ db: Database, _ event: LedgerEvent) throws {
        try db.run(
            sql: "INSERT INTO events(time, item, stage, kind, message) VALUES (?, ?, ?, ?, ?)",
            arguments: [event.time, event.item, event.stage, event.kind, event.message])
    }

    private static func decode(_ spec: String) throws -> ItemSpec {
        try JSONDecoder().decode(ItemSpec.self, from: Data(spec.utf8))
    }

    private static func artifact(_ row: Row) -> ArtifactRecord {
        ArtifactRecord(
            task: TaskKey(item: row["item"], stage: row["stage"]), path: row["path"],
            area: Area(rawValue: row["area"]) ?? .output, bytes: row["bytes"], sha256: row["sha256"],
            state: ArtifactRecord.State(rawValue: row["state"]) ?? .live)
    }
}

extension Database {
    /// Executes one statement, compiled once per connection and reused (the ledger's hot paths
    /// run the same few statements thousands of times).
    fileprivate func run(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
