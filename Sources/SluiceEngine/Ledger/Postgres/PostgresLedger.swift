import Foundation
import Logging
import PostgresNIO

/// The shared ledger: the run's tables in one PostgreSQL schema, which workers on many nodes
/// claim from at once. Claims lock the rows they take with `FOR UPDATE SKIP LOCKED`, so two
/// workers never take the same task and neither waits for the other; a worker's leases are
/// renewed by its heartbeat and, once expired, reclaimed by any live worker.
///
/// Every write is one transaction that also stores its result under a fresh id. When the
/// connection breaks — PostgreSQL restarted, the network gone — the write is tried again on a
/// new connection, and if its id is already there the stored result is returned: a commit whose
/// answer was lost is neither lost nor made twice. The schema is migrated by version, under an
/// advisory lock, by whichever worker opens it first.
public final class PostgresLedger: Ledger {
    /// Where the ledger's database and schema are.
    public let location: PostgresLocation
    private let session: PostgresSession
    /// How long a write keeps trying through a lost connection before it fails.
    private static let reconnectTimeout: Duration = .seconds(60)
    /// For tests: asked after each commit whether to act as if its answer was lost on the way.
    let losesAnswer: (@Sendable () -> Bool)?

    /// Connects, and creates or migrates the schema.
    public convenience init(location: PostgresLocation) async throws {
        try await self.init(location: location, losesAnswer: nil)
    }

    init(location: PostgresLocation, losesAnswer: (@Sendable () -> Bool)?) async throws {
        self.location = location
        self.losesAnswer = losesAnswer
        session = PostgresSession(location: location)
        // A server restarting is waited for; one that refuses or does not exist is not (the
        // caller may wait: `sluice worker --connect-wait`).
        try await Self.retrying({ Self.isRetryable($0) && !Self.isRefusal($0) }, failing: "cannot open the ledger \(location)") { _ in
            do {
                try await migrate()
            } catch  where Self.isRefusal(Self.underlying(error)) {
                throw LedgerError(.unreachable, "cannot open the ledger \(location): nothing answers there (\(Self.describe(Self.underlying(error))))")
            }
        }
    }

    /// Closes the connection.
    public func close() async { await session.close() }

    /// Deletes the run's schema with everything in it (`sluice bench ledger` cleans up with it).
    public func dropSchema() async throws {
        try await session.withConnection { [schema = location.schema] connection, logger in
            _ = try await connection.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: logger)
        }
    }

    // MARK: Schema

    /// `sluice_claim`: claims up to `p_limit` ready tasks of a stage for `p_owner` in one
    /// statement (migration 3), with `filter` added to the conditions on the ready tasks `t`
    /// (and their items `i`): migration 4 leaves out items pinned to another worker.
    private static func claimFunction(replacing: Bool, filter: String) -> String {
        """
        \(replacing ? "CREATE OR REPLACE" : "CREATE") FUNCTION sluice_claim(
            request uuid, p_retry boolean, p_stage bigint, p_owner text, p_limit bigint, p_minimum bigint, p_enough double precision, p_max_wait double precision,
            p_until double precision, p_now double precision, p_words text) RETURNS text LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
        DECLARE
            answer text;
            ids bigint[] := '{}';
            total double precision := 0;
            since double precision := p_now;
            ready record;
        BEGIN
            IF p_retry THEN
                SELECT a.result INTO answer FROM applied a WHERE a.id = request;
                IF FOUND THEN RETURN answer; END IF;
            END IF;
            -- Rows another worker is claiming are skipped, not waited for; each read walks
            -- the (stage, state, position) index in order.
            FOR ready IN
                SELECT r.id, r.weight, r.not_before FROM (
                    SELECT p.* FROM (
                        SELECT t.id, t.position, COALESCE(t.weight, i.bytes, 0) AS weight, t.not_before FROM tasks t JOIN items i ON i.id = t.item
                        WHERE t.stage = p_stage AND t.state = 'pending' AND NOT t.is_group\(filter)
                        ORDER BY t.position LIMIT p_limit FOR UPDATE OF t SKIP LOCKED) p
                    UNION ALL
                    SELECT q.* FROM (
                        SELECT t.id, t.position, COALESCE(t.weight, i.bytes, 0) AS weight, t.not_before FROM tasks t JOIN items i ON i.id = t.item
                        WHERE t.stage = p_stage AND t.state = 'retrying' AND NOT t.is_group AND t.not_before <= p_now\(filter)
                        ORDER BY t.position LIMIT p_limit FOR UPDATE OF t SKIP LOCKED) q
                ) r ORDER BY r.position LIMIT p_limit
            LOOP
                ids := ids || ready.id;
                total := total + ready.weight;
                since := LEAST(since, ready.not_before);
                EXIT WHEN p_enough IS NOT NULL AND total >= p_enough;
            END LOOP;
            IF cardinality(ids) = 0 THEN RETURN '[]'; END IF;
            -- A batch waits for more items unless none can arrive any more.
            IF p_minimum > 1 AND cardinality(ids) < p_minimum AND NOT (p_enough IS NOT NULL AND total >= p_enough)
                AND NOT (p_max_wait IS NOT NULL AND p_now - since >= p_max_wait)
                AND EXISTS (
                    SELECT 1 FROM tasks WHERE stage = p_stage AND NOT is_group
                    AND (state = 'waiting' OR (state = 'retrying' AND not_before > p_now))) THEN
                RETURN '[]';
            END IF;
            WITH started AS (
                UPDATE tasks SET state = 'running', owner = p_owner, lease_until = p_until, attempts = attempts + 1, started = p_now
                WHERE id = ANY(ids) RETURNING item, attempts, position),
            noted AS (
                INSERT INTO events(time, item, stage, kind, message)
                SELECT p_now, item, p_stage, 'claimed', replace(p_words, '{attempt}', attempts::text) FROM started ORDER BY position)
            INSERT INTO applied(id, time, result)
            SELECT request, p_now, json_agg(json_build_object('item', i.spec::json, 'attempt', s.attempts) ORDER BY s.position)::text
            FROM started s JOIN items i ON i.id = s.item
            RETURNING result INTO answer;
            RETURN answer;
        END $$
        """
    }

    /// `sluice_complete`: completes a task in one statement (migration 3). `byKey` finds the
    /// task's rows by their id, looked up by (item, stage) (migration 7): the function's plans are
    /// generic and made once per session, and with `item = … AND stage = … AND state = …` the
    /// planner, seeing a table that was empty when last analyzed, took the (stage, state,
    /// position) index and read every waiting task of the next stage to find one item's —
    /// a quarter of the server's time in `sluice bench ledger`.
    /// With `refetches` (migration 9), a group's parked members are queued for their fetch rather
    /// than their next stage, and a parked item's fetch queues its first stage still to run.
    private static func completeFunction(replacing: Bool, byKey: Bool, refetches: Bool = false) -> String {
        func task(_ stage: String) -> String {
            byKey ? "id = (SELECT id FROM tasks WHERE item = p_item AND stage = \(stage))" : "item = p_item AND stage = \(stage)"
        }
        return """
            \(replacing ? "CREATE OR REPLACE" : "CREATE") FUNCTION sluice_complete(
                request uuid, p_retry boolean, p_item text, p_stage bigint, p_owner text, p_bytes bigint,
                a_items text[], a_stages bigint[], a_paths text[], a_areas text[], a_bytes bigint[], a_sha text[],
                r_items text[], r_stages bigint[], p_collections text[], p_records text[], p_names text[], p_contents text[],
                p_now double precision, p_words text) RETURNS text LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
            DECLARE
                answer text;
                collective boolean;
                attempt integer;
                grouping text;
                members text[];
                gone jsonb := '[]';
            BEGIN
                IF p_retry THEN
                    SELECT a.result INTO answer FROM applied a WHERE a.id = request;
                    IF FOUND THEN RETURN answer; END IF;
                END IF;
                UPDATE tasks SET state = 'done', owner = NULL, lease_until = NULL, finished = p_now,
                    bytes = p_bytes, error = NULL, error_code = NULL
                WHERE \(task("p_stage")) AND state = 'running' AND owner = p_owner
                RETURNING is_group, attempts INTO collective, attempt;
                -- Another worker holds the task now: nothing changes, and nothing is stored.
                IF NOT FOUND THEN RETURN NULL; END IF;
                IF cardinality(a_paths) > 0 THEN
                    INSERT INTO artifacts(item, stage, path, area, bytes, sha256, state)
                    SELECT u.item, u.stage, u.path, u.area, u.bytes, NULLIF(u.sha, ''), 'live'
                    FROM unnest(a_items, a_stages, a_paths, a_areas, a_bytes, a_sha) AS u(item, stage, path, area, bytes, sha)
                    ON CONFLICT (item, stage, path) DO UPDATE SET area = EXCLUDED.area, bytes = EXCLUDED.bytes, sha256 = EXCLUDED.sha256, state = 'live';
                END IF;
                -- One input at a time, by the primary key: a join would be planned on the
                -- statistics of a table that was empty when last analyzed.
                FOR k IN 1 .. COALESCE(cardinality(r_items), 0) LOOP
                    WITH released AS (
                        UPDATE artifacts SET state = 'released' WHERE item = r_items[k] AND stage = r_stages[k] AND state = 'live'
                        RETURNING item, stage, path, area, bytes, sha256)
                    SELECT gone || COALESCE(jsonb_agg(jsonb_build_object(
                        'item', item, 'stage', stage, 'path', path, 'area', area, 'bytes', bytes, 'sha256', sha256)
                        ORDER BY path), '[]') INTO gone FROM released;
                END LOOP;
                IF collective THEN
                    SELECT grp INTO grouping FROM items WHERE id = p_item;
                    SELECT array_agg(t.item) INTO members FROM tasks t JOIN items i ON i.id = t.item
                    WHERE t.stage = p_stage AND NOT i.is_group AND (i.grp = grouping OR grouping = '*') AND t.state = 'pending';
                    UPDATE tasks SET state = 'done', finished = p_now WHERE item = ANY(members) AND stage = p_stage;
                    \(refetches ? parkedMembers : "")UPDATE tasks SET state = 'pending', not_before = p_now WHERE item = ANY(members) AND stage = p_stage + 1 AND state = 'waiting';
                \(refetches ? refetchedItem : "")ELSE
                    UPDATE tasks SET state = 'pending', not_before = p_now WHERE \(task("p_stage + 1")) AND state = 'waiting';
                END IF;
                IF cardinality(p_names) > 0 THEN
                    INSERT INTO ingested(collection, item, name, content, time)
                    SELECT u.collection, u.item, u.name, u.content, p_now
                    FROM unnest(p_collections, p_records, p_names, p_contents) AS u(collection, item, name, content);
                END IF;
                WITH noted AS (
                    INSERT INTO events(time, item, stage, kind, message)
                    VALUES (p_now, p_item, p_stage, 'done', replace(p_words, '{attempt}', attempt::text)))
                INSERT INTO applied(id, time, result) VALUES (request, p_now, gone::text);
                RETURN gone::text;
            END $$
            """
    }

    /// The part of `sluice_complete` that sends a group's parked members to their fetch (`members`
    /// then holds the others).
    private static let parkedMembers = """
        UPDATE tasks SET state = 'pending', not_before = p_now
            WHERE stage = 0 AND state = 'done' AND item IN (SELECT id FROM items WHERE id = ANY(members) AND parked IS NOT NULL);
            SELECT COALESCE(array_agg(id), '{}') INTO members FROM items WHERE id = ANY(members) AND parked IS NULL;

        """

    /// The branch of `sluice_complete` for a parked item's fetch: its first stage still to run is next.
    private static let refetchedItem = """
        ELSIF p_stage = 0 AND EXISTS (SELECT 1 FROM items WHERE id = p_item AND parked IS NOT NULL) THEN
                UPDATE items SET parked = NULL WHERE id = p_item;
                UPDATE tasks SET state = 'pending', not_before = p_now WHERE id = (
                    SELECT id FROM tasks WHERE item = p_item AND state <> 'done' ORDER BY stage LIMIT 1) AND state = 'waiting';
                INSERT INTO events(time, item, stage, kind, message)
                VALUES (p_now, p_item, 0, 'refetched', format('\(LedgerEvent.refetchedMessage(bytes: "%s"))', p_bytes));

        """

    /// Migrations by version; a version, once released, is never edited.
    private static let migrations: [(version: Int, sql: [String])] = [
        (
            1,
            [
                "CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL)",
                """
                CREATE TABLE items(
                    id text PRIMARY KEY, position bigint NOT NULL, spec text NOT NULL, grp text,
                    is_group boolean NOT NULL DEFAULT false, bytes bigint, evicted double precision)
                """,
                """
                CREATE TABLE tasks(
                    id bigserial PRIMARY KEY, item text NOT NULL REFERENCES items(id), stage integer NOT NULL,
                    position bigint NOT NULL, is_group boolean NOT NULL DEFAULT false, state text NOT NULL,
                    attempts integer NOT NULL DEFAULT 0, owner text, lease_until double precision,
                    not_before double precision NOT NULL DEFAULT 0, error_code text, error text,
                    started double precision, finished double precision, bytes bigint, reserved bigint, reserved_area text,
                    UNIQUE(item, stage))
                """,
                "CREATE INDEX tasks_by_stage ON tasks(stage, state, position)",
                "CREATE INDEX tasks_by_owner ON tasks(owner) WHERE state = 'running'",
                """
                CREATE TABLE artifacts(
                    item text NOT NULL, stage integer NOT NULL, path text NOT NULL, area text NOT NULL,
                    bytes bigint NOT NULL, sha256 text, state text NOT NULL, PRIMARY KEY(item, stage, path))
                """,
                "CREATE INDEX artifacts_by_state ON artifacts(state)",
                """
                CREATE TABLE events(
                    seq bigserial PRIMARY KEY, time double precision NOT NULL, item text, stage integer,
                    kind text NOT NULL, message text NOT NULL)
                """,
                // Each write's id and result, kept an hour: a retried write whose commit was lost
                // finds its result here instead of running again.
                "CREATE TABLE applied(id uuid PRIMARY KEY, time double precision NOT NULL, result text NOT NULL)",
            ]
        ),
        (
            2,
            [
                // Reservations as rows tied to the claim that made them (they lapse with its
                // lease), and the workers that share the run.
                """
                CREATE TABLE reservations(
                    item text NOT NULL, stage integer NOT NULL, area text NOT NULL, bytes bigint NOT NULL,
                    started double precision NOT NULL, PRIMARY KEY(item, stage, area))
                """,
                """
                CREATE TABLE workers(
                    id text PRIMARY KEY, host text NOT NULL, pid integer NOT NULL,
                    is_run boolean NOT NULL DEFAULT false, started double precision NOT NULL, heartbeat double precision NOT NULL,
                    stopped double precision)
                """,
                "ALTER TABLE tasks DROP COLUMN reserved, DROP COLUMN reserved_area",
            ]
        ),
        (
            3,
            [
                // The two transitions every task makes, each one statement (one round trip, in
                // autocommit) that stores its result under the caller's request id itself: a
                // retry after a lost answer finds it there. They do what the transactions of
                // several statements did before, in the same order.
                // `state = 'live'` is most rows: an index on it only ever misleads the planner.
                "DROP INDEX artifacts_by_state",
                "CREATE INDEX artifacts_not_live ON artifacts(state) WHERE state <> 'live'",
                // What a task weighs for a stage that batches by weight (pages, cells, …).
                "ALTER TABLE tasks ADD COLUMN weight double precision",
                // What ingest stages stored, in the call that completed their task.
                """
                CREATE TABLE ingested(
                    collection text NOT NULL, item text NOT NULL, name text NOT NULL, content text NOT NULL,
                    time double precision NOT NULL, PRIMARY KEY(collection, item, name))
                """,
                claimFunction(replacing: false, filter: ""),
                completeFunction(replacing: false, byKey: false),
            ]
        ),
        (
            4,
            [
                // The worker whose node-local scratch holds an item's files: only it claims the item.
                "ALTER TABLE items ADD COLUMN holder text",
                claimFunction(replacing: true, filter: " AND (i.holder IS NULL OR i.holder = p_owner)"),
            ]
        ),
        (
            5,
            [
                // What each area held over time, for the report and the dashboard.
                """
                CREATE TABLE samples(
                    time double precision NOT NULL, worker text NOT NULL, area text NOT NULL,
                    committed bigint NOT NULL, reserved bigint NOT NULL, quota bigint)
                """,
                "CREATE INDEX samples_by_time ON samples(time)",
            ]
        ),
        (
            6,
            [
                // The files and folders a running task will make, for the shared quota's `files` bound.
                "ALTER TABLE reservations ADD COLUMN files bigint NOT NULL DEFAULT 0"
            ]
        ),
        (
            7,
            [
                // A completion finds its task and the next one by their key, whatever the statistics say.
                completeFunction(replacing: true, byKey: true)
            ]
        ),
        (
            8,
            [
                // Append-only vocabularies (gene → token id) that the items of a run share.
                """
                CREATE TABLE tokens(
                    vocabulary text NOT NULL, name text NOT NULL, token integer NOT NULL,
                    PRIMARY KEY(vocabulary, name), UNIQUE(vocabulary, token))
                """
            ]
        ),
        (
            9,
            [
                // When an item waiting for its group (or the barrier) gave up what it fetched to
                // make room: it is fetched again before its stage after the group's runs.
                "ALTER TABLE items ADD COLUMN parked double precision",
                completeFunction(replacing: true, byKey: true, refetches: true),
            ]
        ),
    ]

    private func migrate() async throws {
        try await session.withConnection { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                // One migrating worker at a time, whatever the schema's state.
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(self.location.schema)))", logger: logger)
                try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: self.location.schema)", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS migrations(version integer PRIMARY KEY, applied double precision NOT NULL)", logger: logger)
                var done = Set<Int>()
                for try await version in try await connection.query("SELECT version FROM migrations", logger: logger).decode(Int.self) {
                    done.insert(version)
                }
                for migration in Self.migrations where !done.contains(migration.version) {
                    for statement in migration.sql { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                    try await connection.query(
                        "INSERT INTO migrations(version, applied) VALUES (\(migration.version), \(Date().timeIntervalSince1970))", logger: logger)
                }
            }
        }
    }

    // MARK: Registration

    /// Adds the items (and groups) not registered yet, with one task per stage; items already known
    /// keep their progress. Throws when the workspace was made by a pipeline with other stages.
    nonisolated(nonsending) public func register(items: [ItemSpec], stageNames: [String], groupStages: Set<Int>, barrierStages: Set<Int>, now: Double) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let signature = stageNames.joined(separator: ",")
        let specs = try items.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let collective = groupStages.sorted().map { ($0, false) } + barrierStages.sorted().map { ($0, true) }
        let location = location
        let _: Done = try await write { db in
            try await db.run("SELECT pg_advisory_xact_lock(hashtext('register'))")
            if let existing = try await db.first("SELECT value FROM meta WHERE key = 'stages'", as: String.self) {
                guard existing == signature else {
                    throw LedgerError(
                        .pipelineChanged,
                        "the ledger \(location) holds a run of a pipeline with other stages (\(existing)); this one has \(signature). Use another schema (?schema=NAME), or drop this one to start over"
                    )
                }
            } else {
                try await db.run("INSERT INTO meta(key, value) VALUES ('stages', \(signature))")
            }
            // An item no task of which has started takes its new spec (a catalog refreshed to a new
            // dataset version); one in its group still, so the group's tasks hold.
            try await db.run(
                """
                UPDATE items i SET spec = u.spec, bytes = NULLIF(u.bytes, -1)
                FROM unnest(\(items.map(\.name))::text[], \(specs)::text[], \(items.map(\.groupName))::text[], \(items.map { $0.size ?? -1 })::bigint[])
                    AS u(id, spec, grp, bytes)
                WHERE i.id = u.id AND NOT i.is_group AND i.spec <> u.spec AND i.grp IS NOT DISTINCT FROM u.grp
                    AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.item = i.id AND (t.attempts > 0 OR t.state NOT IN ('pending', 'waiting')))
                """)
            let start = try await db.first("SELECT COALESCE(MAX(position) + 1, 0) FROM items", as: Int.self) ?? 0
            let added =
                try await db.first(
                    """
                    WITH new AS (
                        INSERT INTO items(id, position, spec, grp, bytes)
                        SELECT u.id, \(start) + u.n - 1, u.spec, u.grp, NULLIF(u.bytes, -1)
                        FROM unnest(\(items.map(\.name))::text[], \(specs)::text[], \(items.map(\.groupName))::text[],
                                    \(items.map { $0.size ?? -1 })::bigint[]) WITH ORDINALITY AS u(id, spec, grp, bytes, n)
                        ON CONFLICT (id) DO NOTHING RETURNING id, position),
                    added AS (
                        INSERT INTO tasks(item, stage, position, state)
                        SELECT new.id, s, new.position, CASE WHEN s = 0 THEN 'pending' ELSE 'waiting' END
                        FROM new CROSS JOIN generate_series(0, \(stageNames.count - 1)) AS s RETURNING 1)
                    SELECT (SELECT COUNT(*) FROM new)
                    """, as: Int.self) ?? 0
            var position = try await db.first("SELECT COALESCE(MAX(position) + 1, 0) FROM items", as: Int.self) ?? 0
            let groups = try await db.all("SELECT DISTINCT grp FROM items WHERE NOT is_group AND grp IS NOT NULL ORDER BY grp", as: String.self)
            for (stage, isBarrier) in collective.sorted(by: { $0.0 < $1.0 }) {
                for group in isBarrier ? [ItemSpec.everyItem] : groups {
                    let id = ItemSpec.collectiveID(group)
                    if try await db.first("SELECT 1 FROM items WHERE id = \(id)", as: Int.self) == nil {
                        let name = group == ItemSpec.everyItem ? ItemSpec.defaultGroup : group
                        let spec = String(decoding: try encoder.encode(ItemSpec(name: id, sources: [], group: name)), as: UTF8.self)
                        try await db.run("INSERT INTO items(id, position, spec, grp, is_group) VALUES (\(id), \(position), \(spec), \(group), true)")
                        position += 1
                    }
                    try await db.run(
                        """
                        INSERT INTO tasks(item, stage, position, is_group, state)
                        SELECT \(id), \(stage), position, true, 'waiting' FROM items WHERE id = \(id) ON CONFLICT DO NOTHING
                        """)
                }
            }
            if added > 0 {
                try await Self.insertEvent(db, LedgerEvent.registered(added, now: now))
            }
            return Done()
        }
    }

    /// The names of the stages the workspace's pipeline has (empty before the first run).
    nonisolated(nonsending) public func stageNames() async throws -> [String] {
        let value = try await read { db in try await db.first("SELECT value FROM meta WHERE key = 'stages'", as: String.self) }
        return value.map { $0.split(separator: ",").map(String.init) } ?? []
    }

    /// The items registered, in their order.
    nonisolated(nonsending) public func items() async throws -> [ItemSpec] {
        let specs = try await read { db in try await db.all("SELECT spec FROM items WHERE NOT is_group ORDER BY position", as: String.self) }
        return try specs.map { try JSONDecoder().decode(ItemSpec.self, from: Data($0.utf8)) }
    }

    /// The item list stored under `key` (in `meta`, as `items:KEY`).
    nonisolated(nonsending) public func resolvedItems(key: String) async throws -> ResolvedItems? {
        let name = "items:" + key
        let text = try await read { db in try await db.first("SELECT value FROM meta WHERE key = \(name)", as: String.self) }
        return try text.map(ResolvedItems.decode)
    }

    /// Stores `resolved` unless a list is stored under its key (or `replacing`); returns the one kept.
    nonisolated(nonsending) public func store(_ resolved: ResolvedItems, replacing: Bool) async throws -> ResolvedItems {
        let (name, text) = ("items:" + resolved.key, try resolved.encoded())
        let kept: String? = try await write { db in
            if replacing {
                try await db.run("INSERT INTO meta(key, value) VALUES (\(name), \(text)) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
            } else {
                try await db.run("INSERT INTO meta(key, value) VALUES (\(name), \(text)) ON CONFLICT (key) DO NOTHING")
            }
            return try await db.first("SELECT value FROM meta WHERE key = \(name)", as: String.self)
        }
        return try kept.map(ResolvedItems.decode) ?? resolved
    }

    // MARK: Claims and leases

    /// Returns running tasks to the queue: those whose lease expired, or all of them when `all`.
    /// Returns their keys.
    nonisolated(nonsending) public func reclaim(all: Bool, now: Double) async throws -> [TaskKey] {
        try await write { db in
            let rows = try await db.rows(
                """
                UPDATE tasks SET state = 'pending', owner = NULL, lease_until = NULL
                WHERE state = 'running' AND (\(all) OR lease_until < \(now)) RETURNING item, stage
                """, as: (String, Int).self)
            let keys = rows.map { TaskKey(item: $0.0, stage: $0.1) }
            for key in keys {
                try await Self.insertEvent(
                    db, LedgerEvent.reclaimed(key, now: now))
            }
            try await db.run("DELETE FROM applied WHERE time < \(now - 3600)")
            // Rows of claims that ended count for nothing; they go here, off the hot path.
            try await db.run("DELETE FROM reservations r WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE \(unescaped: Self.isCurrent))")
            return keys
        }
    }

    /// The running tasks whose lease expired at `now`.
    nonisolated(nonsending) public func expired(now: Double) async throws -> [TaskKey] {
        try await read { db in
            try await db.rows("SELECT item, stage FROM tasks WHERE state = 'running' AND lease_until < \(now)", as: (String, Int).self).map {
                TaskKey(item: $0.0, stage: $0.1)
            }
        }
    }

    /// Claims up to `limit` ready tasks of `stage`, in item order, under a lease for `owner`:
    /// one call of `sluice_claim` (migration 3).
    nonisolated(nonsending) public func claim(
        stage: Int, owner: String, limit: Int, minimum: Int, enough: Double?, maxWait: Double?, lease: Double, now: Double
    ) async throws -> [ClaimedTask] {
        let words = LedgerEvent.claimedMessage(attempt: LedgerEvent.attemptPlaceholder)
        let answer = try await call { request, isRetry in
            "SELECT sluice_claim(\(request), \(isRetry), \(stage), \(owner), \(limit), \(minimum), \(enough), \(maxWait), \(now + lease), \(now), \(words))"
        }
        return Self.claimed(try JSONDecoder().decode([Claimed].self, from: Data((answer ?? "[]").utf8)), stage: stage)
    }

    /// A task as `sluice_claim` answers it.
    private struct Claimed: Decodable {
        var item: ItemSpec
        var attempt: Int
    }

    /// What `sluice_claim` answered, as claimed tasks of `stage`.
    private static func claimed(_ claimed: [Claimed], stage: Int) -> [ClaimedTask] {
        claimed.map { ClaimedTask(key: TaskKey(item: $0.item.name, stage: stage), item: $0.item, attempt: $0.attempt) }
    }

    /// Claims one group (or the barrier) whose members have all reached (or can never reach) `stage`;
    /// nil when none is ready.
    nonisolated(nonsending) public func claimGroup(stage: Int, owner: String, lease: Double, now: Double, first: Bool) async throws -> ClaimedTask? {
        let claimed: [ClaimedTask] = try await write { db in
            if first {
                // A group's first stage is ready at once; members that reached it since go on
                // with their group's outcome.
                try await db.run("UPDATE tasks SET state = 'pending' WHERE stage = \(stage) AND is_group AND state = 'waiting'")
                let settled = try await db.rows(
                    """
                    SELECT i.grp, t.state, t.error_code, t.error FROM tasks t JOIN items i ON i.id = t.item
                    WHERE t.stage = \(stage) AND i.is_group AND t.state IN ('done', 'failed')
                    """, as: (String, String, String?, String?).self)
                for (group, state, code, error) in settled {
                    if state == TaskState.done.rawValue {
                        try await Self.passMembers(db, of: group, at: stage, now: now)
                    } else {
                        let failure = TaskFailure(code: code ?? "stage.error", message: error ?? "the group's task failed")
                        try await Self.failMembers(db, of: group, at: stage, failure, now: now)
                    }
                }
            }
            // Settle groups whose members have all arrived: ready when any member can go on, blocked otherwise.
            let waiting = try await db.rows(
                """
                SELECT t.item, i.grp FROM tasks t JOIN items i ON i.id = t.item
                WHERE t.stage = \(stage) AND i.is_group AND t.state = 'waiting' FOR UPDATE OF t SKIP LOCKED
                """, as: (String, String).self)
            for (id, group) in waiting {
                let states = try await db.all(
                    """
                    SELECT t.state FROM tasks t JOIN items i ON i.id = t.item
                    WHERE t.stage = \(stage) AND NOT i.is_group AND (i.grp = \(group) OR \(group) = '*')
                    """, as: String.self)
                if states.contains(TaskState.waiting.rawValue) { continue }
                let next: TaskState = states.contains(TaskState.pending.rawValue) ? .pending : .blocked
                try await db.run("UPDATE tasks SET state = \(next.rawValue) WHERE item = \(id) AND stage = \(stage)")
            }
            guard
                let (taskID, spec, group) = try await db.rows(
                    """
                    SELECT t.id, i.spec, i.grp FROM tasks t JOIN items i ON i.id = t.item
                    WHERE t.stage = \(stage) AND i.is_group AND t.state IN ('pending', 'retrying') AND t.not_before <= \(now)
                    ORDER BY i.position LIMIT 1 FOR UPDATE OF t SKIP LOCKED
                    """, as: (Int, String, String).self
                ).first
            else { return [] }
            let attempts = try await Self.start(db, id: taskID, owner: owner, until: now + lease, now: now)
            let members = try await db.all(
                """
                SELECT i.spec FROM tasks t JOIN items i ON i.id = t.item
                WHERE t.stage = \(stage) AND NOT i.is_group AND (i.grp = \(group) OR \(group) = '*') AND t.state = 'pending' ORDER BY i.position
                """, as: String.self
            ).map(Self.decode)
            let item = try Self.decode(spec)
            try await Self.insertEvent(
                db, LedgerEvent.claimed(TaskKey(item: item.name, stage: stage), attempt: attempts, members: members.count, now: now))
            return [ClaimedTask(key: TaskKey(item: item.name, stage: stage), item: item, members: members, attempt: attempts)]
        }
        return claimed.first
    }

    /// Records what `task` weighs for a stage that batches by weight (before it becomes ready).
    nonisolated(nonsending) public func weigh(_ task: TaskKey, _ weight: Double) async throws {
        let _: Done = try await write { db in
            try await db.run("UPDATE tasks SET weight = \(weight) WHERE item = \(task.item) AND stage = \(task.stage)")
            return Done()
        }
    }

    /// Records that `worker` is alive and extends the leases of every task it runs.
    nonisolated(nonsending) public func heartbeat(_ worker: WorkerRecord, lease: Double, now: Double) async throws {
        let _: Done = try await write { db in
            try await db.run(
                """
                INSERT INTO workers(id, host, pid, is_run, started, heartbeat)
                VALUES (\(worker.id), \(worker.host), \(worker.pid), \(worker.isRun), \(now), \(now))
                ON CONFLICT(id) DO UPDATE SET heartbeat = excluded.heartbeat WHERE workers.stopped IS NULL
                """)
            try await db.run("UPDATE tasks SET lease_until = \(now + lease) WHERE owner = \(worker.id) AND state = 'running'")
            return Done()
        }
    }

    /// Records that the worker `id` stopped on its own.
    nonisolated(nonsending) public func retire(worker id: String, now: Double) async throws {
        let _: Done = try await write { db in
            try await db.run("UPDATE workers SET stopped = \(now), heartbeat = \(now) WHERE id = \(id)")
            return Done()
        }
    }

    /// Every worker that has run, the most recently heard of first.
    nonisolated(nonsending) public func workers() async throws -> [WorkerStatus] {
        try await read { db in
            try await db.rows(
                """
                SELECT w.id, w.host, w.pid, w.is_run, w.started, w.heartbeat, w.stopped,
                    (SELECT COUNT(*) FROM tasks t WHERE t.owner = w.id AND t.state = 'running')
                FROM workers w ORDER BY w.heartbeat DESC, w.id
                """, as: (String, String, Int, Bool, Double, Double, Double?, Int).self
            ).map { row in
                WorkerStatus(
                    worker: WorkerRecord(id: row.0, host: row.1, pid: row.2, isRun: row.3), started: row.4, heartbeat: row.5,
                    stopped: row.6, running: row.7)
            }
        }
    }

    // MARK: Outcomes

    /// Marks the task done, records its artifacts, makes the item's next stage pending and releases
    /// the artifacts of `releasing`: one call of `sluice_complete` (migration 3). Returns the
    /// artifacts it released.
    @discardableResult
    nonisolated(nonsending) public func complete(
        _ task: TaskKey, by owner: String, artifacts: [ArtifactRecord], releasing: [TaskKey], ingesting: [IngestRecord], now: Double
    ) async throws -> [ArtifactRecord] {
        try await complete(task, by: owner, artifacts: artifacts, releasing: releasing, ingesting: ingesting, claiming: nil, now: now).released
    }

    /// One statement (``CompleteStatement``): `sluice_complete`, and then — when the task was
    /// completed — `sluice_claim` for one task of `stage`.
    nonisolated(nonsending) public func complete(
        _ task: TaskKey, by owner: String, artifacts: [ArtifactRecord], releasing: [TaskKey], ingesting: [IngestRecord],
        thenClaim stage: Int, lease: Double, now: Double
    ) async throws -> (released: [ArtifactRecord], next: ClaimedTask?) {
        let answer = try await complete(
            task, by: owner, artifacts: artifacts, releasing: releasing, ingesting: ingesting, claiming: (stage, lease), now: now)
        return (answer.released, answer.claimed.first)
    }

    private nonisolated(nonsending) func complete(
        _ task: TaskKey, by owner: String, artifacts: [ArtifactRecord], releasing: [TaskKey], ingesting: [IngestRecord],
        claiming next: (stage: Int, lease: Double)?, now: Double
    ) async throws -> (released: [ArtifactRecord], claimed: [ClaimedTask]) {
        struct Released: Decodable {
            var item: String
            var stage: Int
            var path: String
            var area: String
            var bytes: Int64
            var sha256: String?
        }
        struct Answer: Decodable {
            var released: [Released]?
            var claimed: [Claimed]?
        }
        let bytes = artifacts.reduce(Int64(0)) { $0 + $1.bytes }
        let words = LedgerEvent.doneMessage(attempt: LedgerEvent.attemptPlaceholder, artifacts: artifacts.count, bytes: bytes)
        let claimWords = LedgerEvent.claimedMessage(attempt: LedgerEvent.attemptPlaceholder)
        // The claim's own request id, the same on every try.
        let claimRequest = UUID()
        let answer = try await call { request, isRetry, db in
            try await db.first(
                CompleteStatement(
                    request: request, isRetry: isRetry, task: task, owner: owner, artifacts: artifacts, bytes: bytes, releasing: releasing,
                    ingesting: ingesting, now: now, words: words, claimStage: next?.stage, claimUntil: next.map { now + $0.lease }, claimRequest: claimRequest,
                    claimWords: claimWords))
        }
        let decoded = try JSONDecoder().decode(Answer.self, from: Data((answer ?? "{}").utf8))
        guard let released = decoded.released else { throw LedgerError.leaseLost(task) }
        return (
            released.map {
                ArtifactRecord(
                    task: TaskKey(item: $0.item, stage: $0.stage), path: $0.path, area: Area(rawValue: $0.area) ?? .output, bytes: $0.bytes,
                    sha256: $0.sha256, state: .released)
            },
            Self.claimed(decoded.claimed ?? [], stage: next?.stage ?? task.stage)
        )
    }

    /// Records a failure: `retryAt` puts the task back in the queue at that time; nil fails it for
    /// good and blocks the item's later stages.
    nonisolated(nonsending) public func fail(_ task: TaskKey, by owner: String, _ failure: TaskFailure, retryAt: Double?, now: Double) async throws {
        let _: Done = try await write { db in
            let isOwner = "state = 'running' AND owner = "
            if let retryAt {
                let changed = try await db.all(
                    """
                    UPDATE tasks SET state = 'retrying', owner = NULL, lease_until = NULL, not_before = \(retryAt),
                        error_code = \(failure.code), error = \(failure.message), finished = \(now)
                    WHERE item = \(task.item) AND stage = \(task.stage) AND \(unescaped: isOwner)\(owner) RETURNING 1
                    """, as: Int.self)
                if changed.isEmpty { return Done() }
                try await Self.insertEvent(
                    db,
                    LedgerEvent.retrying(task, failure, at: retryAt, now: now))
                return Done()
            }
            let changed = try await db.all(
                """
                UPDATE tasks SET state = 'failed', owner = NULL, lease_until = NULL,
                    error_code = \(failure.code), error = \(failure.message), finished = \(now)
                WHERE item = \(task.item) AND stage = \(task.stage) AND \(unescaped: isOwner)\(owner) RETURNING 1
                """, as: Int.self)
            if changed.isEmpty { return Done() }
            if try await db.first("SELECT is_group FROM items WHERE id = \(task.item)", as: Bool.self) == true {
                let group = try await db.first("SELECT grp FROM items WHERE id = \(task.item)", as: String.self)
                try await Self.failMembers(db, of: group, at: task.stage, failure, now: now)
            } else {
                try await db.run("UPDATE tasks SET state = 'blocked' WHERE item = \(task.item) AND stage > \(task.stage) AND state = 'waiting'")
            }
            try await Self.insertEvent(db, LedgerEvent.failed(task, failure, now: now))
            return Done()
        }
    }

    /// Gives a claimed task back without counting the attempt (a graceful stop).
    nonisolated(nonsending) public func release(_ task: TaskKey, by owner: String, now: Double) async throws {
        let _: Done = try await write { db in
            let changed = try await db.all(
                """
                UPDATE tasks SET state = 'pending', owner = NULL, lease_until = NULL, attempts = GREATEST(attempts - 1, 0)
                WHERE item = \(task.item) AND stage = \(task.stage) AND state = 'running' AND owner = \(owner) RETURNING 1
                """, as: Int.self)
            if changed.isEmpty { return Done() }
            try await Self.insertEvent(db, LedgerEvent.released(task, now: now))
            return Done()
        }
    }

    // MARK: Artifacts

    /// Artifacts in a state (e.g. released ones still to delete).
    nonisolated(nonsending) public func artifacts(in state: ArtifactRecord.State) async throws -> [ArtifactRecord] {
        try await read { db in
            try await db.rows(
                "SELECT item, stage, path, area, bytes, sha256, state FROM artifacts WHERE state = \(state.rawValue) ORDER BY item, stage, path",
                as: Self.ArtifactRow.self
            ).map(Self.artifact)
        }
    }

    /// The records ingested into `collection`, in item then name order.
    nonisolated(nonsending) public func ingested(collection: String) async throws -> [IngestRecord] {
        try await read { db in
            try await db.rows("SELECT item, name, content FROM ingested WHERE collection = \(collection) ORDER BY item COLLATE \"C\", name COLLATE \"C\"", as: (String, String, String).self)
                .map { IngestRecord(collection: collection, item: $0.0, name: $0.1, content: $0.2) }
        }
    }

    nonisolated(nonsending) public func assignTokens(_ names: [String], in vocabulary: String, first: Int32) async throws -> [String: Int32] {
        let wanted = Array(Set(names))
        return try await write { db in
            // One assigner at a time reads the next id and takes it; readers are not held up.
            try await db.run("LOCK TABLE tokens IN SHARE ROW EXCLUSIVE MODE")
            var ids: [String: Int32] = [:]
            for (name, token) in try await db.rows(
                "SELECT name, token FROM tokens WHERE vocabulary = \(vocabulary) AND name = ANY(\(wanted))", as: (String, Int32).self)
            {
                ids[name] = token
            }
            let fresh = wanted.filter { ids[$0] == nil }.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            guard !fresh.isEmpty else { return ids }
            let next = try await db.first("SELECT MAX(token) + 1 FROM tokens WHERE vocabulary = \(vocabulary)", as: Int32.self) ?? first
            let tokens = fresh.indices.map { next + Int32($0) }
            try await db.run("INSERT INTO tokens(vocabulary, name, token) SELECT \(vocabulary), n, t FROM unnest(\(fresh), \(tokens)) AS u(n, t)")
            for (name, token) in zip(fresh, tokens) { ids[name] = token }
            return ids
        }
    }

    nonisolated(nonsending) public func tokens(in vocabulary: String) async throws -> [(name: String, token: Int32)] {
        try await read { db in
            try await db.rows("SELECT name, token FROM tokens WHERE vocabulary = \(vocabulary) ORDER BY token", as: (String, Int32).self).map { ($0.0, $0.1) }
        }
    }

    /// Live artifacts of an item (and its groups), all stages.
    nonisolated(nonsending) public func liveArtifacts(item: String) async throws -> [ArtifactRecord] {
        try await read { db in
            try await db.rows(
                "SELECT item, stage, path, area, bytes, sha256, state FROM artifacts WHERE item = \(item) AND state = 'live' ORDER BY stage, path",
                as: Self.ArtifactRow.self
            ).map(Self.artifact)
        }
    }

    /// Moves artifacts to a new state.
    nonisolated(nonsending) public func mark(_ artifacts: [ArtifactRecord], _ state: ArtifactRecord.State) async throws {
        let _: Done = try await write { db in
            for artifact in artifacts {
                try await db.run(
                    "UPDATE artifacts SET state = \(state.rawValue) WHERE item = \(artifact.task.item) AND stage = \(artifact.task.stage) AND path = \(artifact.path)")
            }
            return Done()
        }
    }

    // MARK: Failed items' inputs

    /// Items that failed for good and still hold inputs in `raw` or `interim`, the oldest failure
    /// first. A negative `limit`: all of them.
    nonisolated(nonsending) public func evictionCandidates(limit: Int, holder: String?) async throws -> [String] {
        try await read { db in
            try await db.all(
                """
                SELECT t.item FROM tasks t JOIN items i ON i.id = t.item
                WHERE t.state = 'failed' AND NOT i.is_group AND i.evicted IS NULL
                  AND (\(holder)::text IS NULL OR i.holder IS NULL OR i.holder = \(holder))
                  AND EXISTS (SELECT 1 FROM artifacts a WHERE a.item = t.item AND a.state = 'live' AND a.area IN ('raw', 'interim'))
                GROUP BY t.item ORDER BY MIN(t.finished), MIN(i.position) LIMIT \(limit < 0 ? Int(Int32.max) : limit)
                """, as: String.self)
        }
    }

    /// Releases a failed item's inputs in `raw` and `interim`, records why, and returns them for the
    /// caller to delete.
    nonisolated(nonsending) public func evict(item: String, reason: String, now: Double) async throws -> [ArtifactRecord] {
        try await write { db in
            let doomed = try await db.rows(
                """
                UPDATE artifacts SET state = 'released' WHERE item = \(item) AND state = 'live' AND area IN ('raw', 'interim')
                RETURNING item, stage, path, area, bytes, sha256, state
                """, as: Self.ArtifactRow.self
            ).map(Self.artifact).sorted { ($0.task.stage, $0.path) < ($1.task.stage, $1.path) }
            try await db.run("UPDATE items SET evicted = \(now) WHERE id = \(item)")
            let bytes = doomed.reduce(Int64(0)) { $0 + $1.bytes }
            try await Self.insertEvent(
                db,
                LedgerEvent.evicted(item, files: doomed.count, bytes: bytes, reason: reason, now: now))
            return doomed
        }
    }

    // MARK: Parked items

    /// Items waiting for their group (or the barrier) at the collective stage `stage`, unparked,
    /// that hold what the source stage fetched: the last item first.
    nonisolated(nonsending) public func parkingCandidates(at stage: Int, limit: Int, holder: String?) async throws -> [String] {
        try await read { db in
            try await db.all(
                """
                SELECT i.id FROM tasks t JOIN items i ON i.id = t.item
                WHERE t.stage = \(stage) AND t.state = 'pending' AND NOT i.is_group AND i.parked IS NULL
                  AND (\(holder)::text IS NULL OR i.holder IS NULL OR i.holder = \(holder))
                  AND EXISTS (SELECT 1 FROM artifacts a WHERE a.item = i.id AND a.stage = 0 AND a.state = 'live' AND a.area IN ('raw', 'interim'))
                ORDER BY i.position DESC LIMIT \(limit)
                """, as: String.self)
        }
    }

    /// Releases what the source stage fetched for `item`, waiting at the collective stage
    /// `stage`, and marks it parked; none when it is not waiting there (or already parked).
    nonisolated(nonsending) public func park(item: String, at stage: Int, reason: String, now: Double) async throws -> [ArtifactRecord] {
        try await write { db in
            // The item's row, locked: a group's completion that would queue its next stage waits.
            let waiting = try await db.first(
                """
                SELECT t.state FROM items i JOIN tasks t ON t.item = i.id
                WHERE i.id = \(item) AND t.stage = \(stage) AND NOT i.is_group AND i.parked IS NULL FOR UPDATE OF i, t
                """, as: String.self)
            guard waiting == TaskState.pending.rawValue else { return [] }
            let parked = try await db.rows(
                """
                UPDATE artifacts SET state = 'released' WHERE item = \(item) AND stage = 0 AND state = 'live' AND area IN ('raw', 'interim')
                RETURNING item, stage, path, area, bytes, sha256, state
                """, as: Self.ArtifactRow.self
            ).map(Self.artifact).sorted { $0.path < $1.path }
            guard !parked.isEmpty else { return [] }
            try await db.run("UPDATE items SET parked = \(now) WHERE id = \(item)")
            try await Self.insertEvent(
                db, LedgerEvent.parked(item, at: stage, files: parked.count, bytes: parked.reduce(0) { $0 + $1.bytes }, reason: reason, now: now))
            return parked
        }
    }

    // MARK: Reading

    /// Sets what the running `task` holds in each area of `amounts` (0 drops it). With `quota`,
    /// only when all it would then hold fits beside every other task's holdings; returns whether
    /// it did. Workers that reserve against the quota take turns (a transaction-scoped advisory
    /// lock), so two cannot both take the last free bytes.
    nonisolated(nonsending) public func reserve(
        _ task: TaskKey, _ amounts: [Area: Int64], files: (count: Int, area: Area)?, quota: SharedQuota?, now: Double
    ) async throws -> Bool {
        try await write { db in
            if let quota, amounts.values.contains(where: { $0 > 0 }) {
                try await db.run("SELECT pg_advisory_xact_lock(hashtext(\(self.location.schema + ".quota")))")
                let block = DiskUsage.blockSize
                // Each artifact file counts as the engine reserves it (whole blocks and one for its
                // folder), and as files and folders: the file, its stage's folder and its item's.
                let committed = try await db.rows(
                    """
                    SELECT area, SUM(CASE WHEN bytes <= 0 THEN \(block) ELSE (bytes + \(block) - 1) / \(block) * \(block) + \(block) END)::bigint,
                        (COUNT(*) + COUNT(DISTINCT item || '/' || stage) + COUNT(DISTINCT item))::bigint
                    FROM artifacts WHERE state != 'deleted' AND NOT \(unescaped: NodeLocalFiles.onANode) GROUP BY area
                    """, as: (String, Int64, Int64).self
                ).map { (area: $0.0, bytes: $0.1, files: Int($0.2), mine: false) }
                let reserved = try await db.rows(
                    """
                    SELECT r.area, SUM(r.bytes)::bigint, SUM(r.files)::bigint, (r.item = \(task.item) AND r.stage = \(task.stage)) AS mine FROM reservations r
                    JOIN tasks t ON t.item = r.item AND t.stage = r.stage AND t.started = r.started
                    WHERE t.state = 'running' GROUP BY r.area, mine
                    """, as: (String, Int64, Int64, Bool).self
                ).map { (area: $0.0, bytes: $0.1, files: Int($0.2), mine: $0.3) }
                guard quota.admits(amounts, files: files, held: committed + reserved) else { return false }
            }
            for (area, bytes) in amounts.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                if bytes > 0 {
                    let entries = files?.area == area ? files!.count : 0
                    try await db.run(
                        """
                        INSERT INTO reservations(item, stage, area, bytes, files, started)
                        SELECT item, stage, \(area.rawValue), \(bytes), \(entries), started FROM tasks
                        WHERE item = \(task.item) AND stage = \(task.stage) AND state = 'running'
                        ON CONFLICT(item, stage, area) DO UPDATE SET bytes = excluded.bytes, files = excluded.files, started = excluded.started
                        """)
                } else {
                    try await db.run("DELETE FROM reservations WHERE item = \(task.item) AND stage = \(task.stage) AND area = \(area.rawValue)")
                }
            }
            return true
        }
    }

    /// A reservation row `r` made by task `t`'s claim, while that claim runs.
    private static let isCurrent = "r.item = t.item AND r.stage = t.stage AND r.started = t.started AND t.state = 'running'"

    /// Every task, in item then stage order.
    nonisolated(nonsending) public func tasks() async throws -> [TaskStatus] {
        try await read { db in try await Self.taskStatuses(db, "", orderBy: "i.position, t.stage") }
    }

    nonisolated(nonsending) public func tasks(of item: String) async throws -> [TaskStatus] {
        try await read { db in try await Self.taskStatuses(db, "WHERE t.item = ", orderBy: "t.stage", binding: item) }
    }

    nonisolated(nonsending) public func tasks(in state: TaskState, limit: Int) async throws -> [TaskStatus] {
        let order = state == .running ? "t.started, i.position" : "t.finished DESC NULLS LAST, i.position"
        // The state is one of TaskState's names and the limit a number: neither can carry SQL.
        return try await read { db in try await Self.taskStatuses(db, "WHERE t.state = '\(state.rawValue)'", orderBy: order, limit: limit) }
    }

    nonisolated(nonsending) public func overview() async throws -> LedgerOverview {
        try await read { db in
            var counts: [Int: [TaskState: Int]] = [:]
            for (stage, state, count) in try await db.rows("SELECT stage, state, COUNT(*) FROM tasks GROUP BY stage, state", as: (Int, String, Int).self) {
                if let state = TaskState(rawValue: state) { counts[stage, default: [:]][state] = count }
            }
            let items =
                try await db.rows(
                    """
                    SELECT COUNT(*), COUNT(*) FILTER (WHERE failed), COUNT(*) FILTER (WHERE NOT failed AND NOT open)
                    FROM (SELECT BOOL_OR(state = 'failed') AS failed, BOOL_OR(state <> 'done') AS open FROM tasks WHERE NOT is_group GROUP BY item) AS outcomes
                    """, as: (Int, Int, Int).self
                ).first ?? (0, 0, 0)
            return LedgerOverview(counts: counts, done: items.2, failed: items.1, unfinished: items.0 - items.1 - items.2)
        }
    }

    /// The tasks a `WHERE` clause (on `t`, the tasks, and `i`, their items) selects, in `orderBy`
    /// order (`limit` of them at most), with what they hold reserved. Both clauses are SQL this
    /// file writes, never values; a value the clause compares with is `binding`, sent as a
    /// parameter after it.
    private static func taskStatuses(
        _ db: PostgresTransaction, _ clause: String, orderBy: String, limit: Int? = nil, binding: String? = nil
    ) async throws -> [TaskStatus] {
        typealias Row = (String, Int, String, Int, String?, String?, Double?, Double?, Int64?, Bool, Int64?, String?)
        let select = """
            SELECT t.item, t.stage, t.state, t.attempts, t.error_code, t.error, t.started, t.finished, t.bytes, i.is_group,
                (SELECT SUM(bytes)::bigint FROM reservations r WHERE \(Self.isCurrent)),
                (SELECT area FROM reservations r WHERE \(Self.isCurrent) ORDER BY bytes DESC LIMIT 1)
            FROM tasks t JOIN items i ON i.id = t.item
            """
        let limited = limit.map { " LIMIT \(max(0, $0))" } ?? ""
        let query: PostgresQuery =
            if let binding {
                "\(unescaped: select) \(unescaped: clause)\(binding) ORDER BY \(unescaped: orderBy + limited)"
            } else {
                "\(unescaped: select) \(unescaped: clause) ORDER BY \(unescaped: orderBy + limited)"
            }
        return try await db.rows(query, as: Row.self).map { row in
            TaskStatus(
                item: row.0, stage: row.1, state: TaskState(rawValue: row.2) ?? .waiting, attempts: row.3,
                failure: row.4.map { TaskFailure(code: $0, message: row.5 ?? "") }, started: row.6, finished: row.7, bytes: row.8,
                isGroup: row.9, reserved: row.10, reservedArea: row.11.flatMap(Area.init(rawValue:)))
        }
    }

    /// How many tasks of `stage` are in each state.
    nonisolated(nonsending) public func counts(stage: Int) async throws -> [TaskState: Int] {
        try await read { db in
            var result: [TaskState: Int] = [:]
            for (state, count) in try await db.rows(
                "SELECT state, COUNT(*) FROM tasks WHERE stage = \(stage) AND NOT is_group GROUP BY state", as: (String, Int).self)
            {
                if let state = TaskState(rawValue: state) { result[state] = count }
            }
            return result
        }
    }

    /// The earliest time a retrying task of `stage` becomes ready, if any.
    nonisolated(nonsending) public func nextRetry(stage: Int) async throws -> Double? {
        try await read { db in
            try await db.first("SELECT MIN(not_before) FROM tasks WHERE stage = \(stage) AND state = 'retrying'", as: Double.self)
        }
    }

    // MARK: Node-local scratch

    /// Pins `item` to the worker `holder`.
    nonisolated(nonsending) public func pin(item: String, to holder: String) async throws {
        _ = try await write { db in
            try await db.run("UPDATE items SET holder = \(holder) WHERE id = \(item)")
            return Done()
        }
    }

    /// Every pinned item, with its holder.
    nonisolated(nonsending) public func pins() async throws -> [String: String] {
        try await read { db in
            Dictionary(uniqueKeysWithValues: try await db.rows("SELECT id, holder FROM items WHERE holder IS NOT NULL", as: (String, String).self))
        }
    }

    /// Unpins `item`, marks its node-local files deleted and, with `stage`, sends it back there.
    nonisolated(nonsending) public func restart(item: String, pinnedTo holder: String, from stage: Int?, now: Double) async throws {
        _ = try await write { db in
            // Locks the item's row: a second worker restarting it waits, then finds it unpinned.
            guard try await db.first("SELECT holder FROM items WHERE id = \(item) AND holder = \(holder) FOR UPDATE", as: String.self) != nil else { return Done() }
            try await db.run("UPDATE artifacts SET state = 'deleted' WHERE item = \(item) AND state != 'deleted' AND \(unescaped: NodeLocalFiles.area)")
            if let stage {
                try await db.run("UPDATE artifacts SET state = 'released' WHERE item = \(item) AND stage >= \(stage) AND state = 'live'")
                try await db.run(
                    """
                    UPDATE tasks SET state = CASE WHEN stage = \(stage) THEN 'pending' ELSE 'waiting' END, owner = NULL, lease_until = NULL,
                    not_before = \(now) WHERE item = \(item) AND stage >= \(stage) AND NOT is_group
                    """)
            }
            try await db.run("UPDATE items SET holder = NULL WHERE id = \(item)")
            if let stage { try await Self.insertEvent(db, LedgerEvent.restarted(item, from: stage, now: now)) }
            return Done()
        }
    }

    /// Puts failed (and their blocked) tasks back in the queue: of `items`, or all failed ones when
    /// nil. Returns how many.
    nonisolated(nonsending) public func retry(items: [String]?, now: Double) async throws -> Int {
        try await write { db in
            var targets: [String]
            if let items {
                targets = items
                for item in items where try await db.first("SELECT 1 FROM items WHERE id = \(item)", as: Int.self) == nil {
                    throw LedgerError(.unknownItem, "no item named '\(item)' in this run")
                }
            } else {
                targets = try await db.all("SELECT DISTINCT item FROM tasks WHERE state = 'failed' ORDER BY item", as: String.self)
            }
            var count = 0
            for item in targets {
                let stages = try await db.all("SELECT stage FROM tasks WHERE item = \(item) AND state = 'failed' ORDER BY stage", as: Int.self)
                guard !stages.isEmpty else { continue }
                let evicted = try await db.first("SELECT evicted FROM items WHERE id = \(item)", as: Double.self) != nil
                if evicted {
                    // Its inputs are gone: it starts again from the first stage, and what its
                    // earlier stages left is released (deleted by the next run before it starts).
                    try await db.run(
                        """
                        UPDATE tasks SET state = CASE WHEN stage = 0 THEN 'pending' ELSE 'waiting' END, attempts = 0, not_before = 0,
                            error = NULL, error_code = NULL, owner = NULL, lease_until = NULL WHERE item = \(item)
                        """)
                    try await db.run("UPDATE artifacts SET state = 'released' WHERE item = \(item) AND state = 'live'")
                    try await db.run("UPDATE items SET evicted = NULL WHERE id = \(item)")
                } else {
                    for stage in stages {
                        try await db.run(
                            "UPDATE tasks SET state = 'pending', attempts = 0, not_before = 0, error = NULL, error_code = NULL WHERE item = \(item) AND stage = \(stage)")
                        try await db.run("UPDATE tasks SET state = 'waiting' WHERE item = \(item) AND stage > \(stage) AND state = 'blocked'")
                    }
                }
                // A group (or the barrier) that gave up because this member failed waits for it again.
                try await db.run(
                    """
                    UPDATE tasks SET state = 'waiting' WHERE state = 'blocked' AND item IN
                    (SELECT id FROM items WHERE is_group AND (grp = (SELECT grp FROM items WHERE id = \(item)) OR grp = '*'))
                    """)
                count += stages.count
                try await Self.insertEvent(
                    db,
                    LedgerEvent.retried(item, stage: stages.first, evicted: evicted, now: now))
            }
            return count
        }
    }

    // MARK: Events

    /// Appends an event.
    nonisolated(nonsending) public func record(_ event: LedgerEvent) async throws {
        let _: Done = try await write { db in
            try await Self.insertEvent(db, event)
            return Done()
        }
    }

    nonisolated(nonsending) public func record(samples: [DiskSample]) async throws {
        guard !samples.isEmpty else { return }
        let _: Done = try await write { db in
            try await db.run(
                """
                INSERT INTO samples(time, worker, area, committed, reserved, quota)
                SELECT t, w, a, c, r, NULLIF(q, -1) FROM unnest(\(samples.map(\.time)), \(samples.map(\.worker)), \(samples.map(\.area)),
                    \(samples.map(\.committed)), \(samples.map(\.reserved)), \(samples.map { $0.quota ?? -1 })) AS u(t, w, a, c, r, q)
                """)
            return Done()
        }
    }

    nonisolated(nonsending) public func samples(since: Double) async throws -> [DiskSample] {
        try await read { db in
            try await db.rows(
                "SELECT time, worker, area, committed, reserved, quota FROM samples WHERE time >= \(since) ORDER BY time, area",
                as: (Double, String, String, Int64, Int64, Int64?).self
            ).map { DiskSample(time: $0.0, worker: $0.1, area: $0.2, committed: $0.3, reserved: $0.4, quota: $0.5) }
        }
    }

    /// Events after `sequence`, oldest first, at most `limit` of them.
    nonisolated(nonsending) public func events(after sequence: Int64, limit: Int) async throws -> [LedgerEvent] {
        try await read { db in
            try await db.rows(
                "SELECT seq, time, item, stage, kind, message FROM events WHERE seq > \(sequence) ORDER BY seq LIMIT \(limit)",
                as: (Int64, Double, String?, Int?, String, String).self
            ).map { LedgerEvent(sequence: $0.0, time: $0.1, item: $0.2, stage: $0.3, kind: $0.4, message: $0.5) }
        }
    }

    /// Events of one kind, oldest first.
    nonisolated(nonsending) public func events(kind: String) async throws -> [LedgerEvent] {
        try await read { db in
            try await db.rows(
                "SELECT seq, time, item, stage, kind, message FROM events WHERE kind = \(kind) ORDER BY seq",
                as: (Int64, Double, String?, Int?, String, String).self
            ).map { LedgerEvent(sequence: $0.0, time: $0.1, item: $0.2, stage: $0.3, kind: $0.4, message: $0.5) }
        }
    }

    /// Nothing to do: a commit is durable once PostgreSQL has answered it.
    nonisolated(nonsending) public func sync() async throws {}

    /// Nothing to give back: the server's files are not in the workspace.
    nonisolated(nonsending) public func compact() async throws {}

    // MARK: Transactions

    /// An empty result, for writes that return nothing.
    private struct Done: Codable, Sendable {}

    /// Runs `body` in one transaction that also stores its result under a fresh id, and tries
    /// again on a new connection when the connection is lost (returning the stored result when
    /// the lost commit had in fact been made), for up to ``reconnectTimeout``.
    nonisolated(nonsending) private func write<T: Codable & Sendable>(_ body: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        let id = UUID()
        return try await Self.retrying(Self.isRetryable, failing: "the ledger \(location) failed") { isRetry in
            try await session.withConnection { connection, logger in
                let db = PostgresTransaction(connection: connection, logger: logger)
                if isRetry, let stored = try await db.first("SELECT result FROM applied WHERE id = \(id)", as: String.self) {
                    return try JSONDecoder().decode(T.self, from: Data(stored.utf8))
                }
                let result = try await connection.withTransaction(logger: logger) { _ in
                    let result = try await body(db)
                    let encoded = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
                    try await db.run("INSERT INTO applied(id, time, result) VALUES (\(id), \(Date().timeIntervalSince1970), \(encoded))")
                    return result
                }
                if self.losesAnswer?() == true { throw GuardedConnection.Lost() }
                return result
            }
        }
    }

    /// Runs one statement made for a request id (the same id on every try), in autocommit,
    /// trying again through a lost connection; returns its one text value. The statement
    /// itself stores its result under the id and, when told it is a retry, returns the stored
    /// one if it finds it (the `sluice_*` functions): a retry after a lost answer changes
    /// nothing twice.
    nonisolated(nonsending) private func call(_ statement: @escaping @Sendable (_ request: UUID, _ isRetry: Bool) -> PostgresQuery) async throws -> String? {
        try await call { request, isRetry, db in try await db.first(statement(request, isRetry), as: String.self) }
    }

    /// Runs `send`, which sends one such statement, as ``call(_:)`` does.
    nonisolated(nonsending) private func call(
        _ send: @escaping @Sendable (_ request: UUID, _ isRetry: Bool, PostgresTransaction) async throws -> String?
    ) async throws -> String? {
        let id = UUID()
        return try await Self.retrying(Self.isRetryable, failing: "the ledger \(location) failed") { isRetry in
            try await session.withConnection { connection, logger in
                let answer = try await send(id, isRetry, PostgresTransaction(connection: connection, logger: logger))
                if self.losesAnswer?() == true { throw GuardedConnection.Lost() }
                return answer
            }
        }
    }

    /// Runs `body` outside a transaction, trying again through a lost connection.
    nonisolated(nonsending) private func read<T: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        try await Self.retrying(Self.isRetryable, failing: "the ledger \(location) failed") { _ in
            try await session.withConnection { connection, logger in
                try await body(PostgresTransaction(connection: connection, logger: logger))
            }
        }
    }

    /// Runs `attempt` (told whether it is a retry) until it succeeds, again after a growing pause
    /// while `retryable` says its error may pass, for up to ``reconnectTimeout``. A ledger error
    /// is thrown as it is; any other, as `failing` followed by its sentence.
    nonisolated(nonsending) private static func retrying<T>(
        _ retryable: (any Error) -> Bool, failing: String, _ attempt: (_ isRetry: Bool) async throws -> T
    ) async throws -> T {
        let deadline = ContinuousClock.now + reconnectTimeout
        var pause = Duration.milliseconds(50)
        var isRetry = false
        while true {
            do {
                return try await attempt(isRetry)
            } catch {
                let cause = underlying(error)
                if let ledgerError = cause as? LedgerError { throw ledgerError }
                guard retryable(cause), ContinuousClock.now < deadline else { throw LedgerError(.unavailable, "\(failing): \(describe(cause))") }
                isRetry = true
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }

    /// The error inside a transaction's wrapper.
    private static func underlying(_ error: any Error) -> any Error {
        guard let transaction = error as? PostgresTransactionError else { return error }
        return transaction.closureError ?? transaction.commitError ?? transaction.beginError ?? error
    }

    /// A lost connection, a server shutting down or restarting, a serialization failure or a
    /// deadlock: what a new attempt on a new connection can get past.
    static func isRetryable(_ error: any Error) -> Bool {
        if isConnectionLoss(error) { return true }
        guard let error = error as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        // 08: connection exception; 40: transaction rollback (serialization, deadlock); 57P: operator intervention (shutdown).
        return state.hasPrefix("08") || state.hasPrefix("40") || state.hasPrefix("57P")
    }

    /// A connection that could not be made at all (nothing listens, no such host, refused).
    static func isRefusal(_ error: any Error) -> Bool {
        (error as? PSQLError)?.code == .connectionError || error is NIOConnectionError
    }

    /// Whether `error` means the connection is gone (the next use must connect again).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is GuardedConnection.Lost { return true }
        if let error = error as? PSQLError {
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection: return true
            default:
                if error.code == .server, let state = error.serverInfo?[.sqlState] { return state.hasPrefix("08") || state.hasPrefix("57P") }
                return false
            }
        }
        return error is ChannelError || error is IOError
    }

    /// One sentence for an error from PostgreSQL or the network (never the password: the
    /// location it names is ``PostgresLocation/description``).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if error.code == .authMechanismRequiresPassword {
                return "the server asks for a password and none was found: set SLUICE_PG_PASSWORD, or add the ledger to ~/.pgpass"
            }
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }

    // MARK: Helpers

    /// Marks task `id` running under `owner`'s lease (one more attempt); returns its attempts.
    private static func start(_ db: PostgresTransaction, id: Int, owner: String, until lease: Double, now: Double) async throws -> Int {
        try await db.first(
            """
            UPDATE tasks SET state = 'running', owner = \(owner), lease_until = \(lease), attempts = attempts + 1, started = \(now)
            WHERE id = \(id) RETURNING attempts
            """, as: Int.self) ?? 1
    }

    /// Moves the members of `group` that wait at its group stage `stage` on, as `sluice_complete`
    /// does for a group's task: their task there is done, their next stage's ready (a parked
    /// member's fetch first).
    private static func passMembers(_ db: PostgresTransaction, of group: String, at stage: Int, now: Double) async throws {
        let members = try await db.rows(
            """
            SELECT t.item, i.parked IS NOT NULL FROM tasks t JOIN items i ON i.id = t.item
            WHERE t.stage = \(stage) AND NOT i.is_group AND (i.grp = \(group) OR \(group) = '*') AND t.state = 'pending' FOR UPDATE OF t
            """, as: (String, Bool).self)
        for (member, parked) in members {
            try await db.run("UPDATE tasks SET state = 'done', finished = \(now) WHERE item = \(member) AND stage = \(stage)")
            let next = parked ? 0 : stage + 1
            let from = parked ? TaskState.done.rawValue : TaskState.waiting.rawValue
            try await db.run("UPDATE tasks SET state = 'pending', not_before = \(now) WHERE item = \(member) AND stage = \(next) AND state = \(from)")
        }
    }

    /// Fails the members of `group` that wait at its group stage `stage` with the group's
    /// `failure`, and blocks their later stages.
    private static func failMembers(_ db: PostgresTransaction, of group: String?, at stage: Int, _ failure: TaskFailure, now: Double) async throws {
        let members = try await db.all(
            """
            SELECT t.item FROM tasks t JOIN items i ON i.id = t.item
            WHERE t.stage = \(stage) AND NOT i.is_group AND (i.grp = \(group) OR \(group) = '*') AND t.state = 'pending'
            """, as: String.self)
        for member in members {
            try await db.run(
                """
                UPDATE tasks SET state = 'failed', error_code = \(failure.code), error = \("group \(group ?? "?"): \(failure.message)"), finished = \(now)
                WHERE item = \(member) AND stage = \(stage)
                """)
            try await db.run("UPDATE tasks SET state = 'blocked' WHERE item = \(member) AND stage > \(stage) AND state = 'waiting'")
        }
    }

    private static func insertEvent(_ db: PostgresTransaction, _ event: LedgerEvent) async throws {
        try await db.run("INSERT INTO events(time, item, stage, kind, message) VALUES (\(event.time), \(event.item), \(event.stage), \(event.kind), \(event.message))")
    }

    private static func decode(_ spec: String) throws -> ItemSpec {
        try JSONDecoder().decode(ItemSpec.self, from: Data(spec.utf8))
    }

    private typealias ArtifactRow = (String, Int, String, String, Int64, String?, String)

    private static func artifact(_ row: ArtifactRow) -> ArtifactRecord {
        ArtifactRecord(
            task: TaskKey(item: row.0, stage: row.1), path: row.2, area: Area(rawValue: row.3) ?? .output, bytes: row.4, sha256: row.5,
            state: ArtifactRecord.State(rawValue: row.6) ?? .live)
    }
}
