/// The single source of truth for a run's progress: items, stage attempts under leases,
/// committed artifacts and an append-only event log. `SQLiteLedger` is the embedded default;
/// a PostgreSQL ledger (`FOR UPDATE SKIP LOCKED`) can implement the same protocol so that
/// workers on several nodes share one run.
///
/// Every method is one transaction: a crash between two calls leaves a consistent ledger.
/// Methods run on their caller's executor (`nonisolated(nonsending)`): an implementation that
/// has to wait — for a lock, a server, a disk — suspends rather than holds the thread.
public protocol Ledger: Sendable {
    /// Adds the items (and groups) not registered yet, with one task per stage; items already
    /// known keep their progress, and those none of whose tasks has started take their new spec
    /// when their group is the same (a refreshed catalog's new dataset version). A stage in `groupStages` gets one task per group, a stage in
    /// `barrierStages` one task for all items. Throws when the workspace was made by a pipeline
    /// with other stages.
    nonisolated(nonsending) func register(items: [ItemSpec], stageNames: [String], groupStages: Set<Int>, barrierStages: Set<Int>, now: Double) async throws

    /// The names of the stages the workspace's pipeline has (empty before the first run).
    nonisolated(nonsending) func stageNames() async throws -> [String]

    /// The items registered, in their order (groups and the barrier's task left out).
    nonisolated(nonsending) func items() async throws -> [ItemSpec]

    /// The item list a catalog (``ItemCatalog``) resolved to, stored under `key`; nil when none
    /// is stored.
    nonisolated(nonsending) func resolvedItems(key: String) async throws -> ResolvedItems?

    /// Stores `resolved` under its key unless a list is stored there already (or `replacing`),
    /// and returns the list kept: runs and workers resolving at once all get the first one.
    nonisolated(nonsending) func store(_ resolved: ResolvedItems, replacing: Bool) async throws -> ResolvedItems

    /// The running tasks whose lease expired at `now`, unchanged: what their attempts left can be
    /// removed before ``reclaim(all:now:)`` lets another worker claim them.
    nonisolated(nonsending) func expired(now: Double) async throws -> [TaskKey]

    /// Returns running tasks to the queue: those whose lease expired, or all of them when
    /// `all` (the caller holds the workspace lock, so no other run is alive). Returns the keys.
    nonisolated(nonsending) func reclaim(all: Bool, now: Double) async throws -> [TaskKey]

    /// Claims up to `limit` ready tasks of `stage`, in item order, under a lease for `owner`;
    /// fewer once their weights (what ``weigh(_:_:)`` recorded, or else the item's declared
    /// size) reach `enough`. With `minimum` > 1, claims nothing unless that many are ready, their
    /// weight is enough, the first has been ready for `maxWait` seconds, or no more can arrive.
    nonisolated(nonsending) func claim(
        stage: Int, owner: String, limit: Int, minimum: Int, enough: Double?, maxWait: Double?, lease: Double, now: Double
    ) async throws -> [ClaimedTask]

    /// Records what `task` weighs for a stage that batches by weight (pages, cells, bytes, …);
    /// called before the stage before it commits, so the weight is there once the task is ready.
    nonisolated(nonsending) func weigh(_ task: TaskKey, _ weight: Double) async throws

    /// Claims one group (or the barrier) whose members have all reached (or can never reach) `stage`.
    /// With `first` (a ``StageScheduling/perGroupFirst`` stage), a group's task is ready at once,
    /// and members that reach the stage pass it as soon as their group's task is done (or fail
    /// with it); this call moves them on.
    nonisolated(nonsending) func claimGroup(stage: Int, owner: String, lease: Double, now: Double, first: Bool) async throws -> ClaimedTask?

    /// Records that `worker` is alive (its row is made on the first call) and extends the leases
    /// of every task it runs.
    nonisolated(nonsending) func heartbeat(_ worker: WorkerRecord, lease: Double, now: Double) async throws

    /// Records that the worker `id` stopped on its own (its tasks were given back or done).
    nonisolated(nonsending) func retire(worker id: String, now: Double) async throws

    /// Every worker that has run, the most recently heard of first, with the tasks each runs.
    nonisolated(nonsending) func workers() async throws -> [WorkerStatus]

    /// Marks the task done, records its artifacts, makes the item's next stage pending, marks
    /// the artifacts of `releasing` (the task's inputs) as released (to be deleted), and stores
    /// `ingesting` in the `ingested` table — all in one transaction. Returns the artifacts it
    /// released. Throws `leaseLost` (and changes nothing) unless `owner` still runs the task: a
    /// worker whose lease expired cannot complete it twice.
    @discardableResult
    nonisolated(nonsending) func complete(
        _ task: TaskKey, by owner: String, artifacts: [ArtifactRecord], releasing: [TaskKey], ingesting: [IngestRecord], now: Double
    ) async throws -> [ArtifactRecord]

    /// Completes `task` as ``complete(_:by:artifacts:releasing:ingesting:now:)`` does and then,
    /// once it is complete, claims the next ready task of `stage` for `owner` as a per-item
    /// ``claim(stage:owner:limit:minimum:enough:maxWait:lease:now:)`` would: a worker's loop
    /// that goes on with the same stage asks once where a server would be asked twice.
    nonisolated(nonsending) func complete(
        _ task: TaskKey, by owner: String, artifacts: [ArtifactRecord], releasing: [TaskKey], ingesting: [IngestRecord],
        thenClaim stage: Int, lease: Double, now: Double
    ) async throws -> (released: [ArtifactRecord], next: ClaimedTask?)

    /// Pins `item` to the worker `holder`, whose node-local scratch holds its files: from now on
    /// only that worker claims its tasks, until ``restart(item:from:now:)``. Called before the
    /// task that wrote those files completes.
    nonisolated(nonsending) func pin(item: String, to holder: String) async throws

    /// Every pinned item, with its holder.
    nonisolated(nonsending) func pins() async throws -> [String: String]

    /// Unpins `item`, whose node-local files are lost (their worker `holder` is gone or stopped):
    /// they are marked deleted and, with `stage`, the item goes back to that stage — its tasks
    /// from there on are queued again (the first pending, the rest waiting), what they committed
    /// is released, and a `restarted` event says so — all in one transaction, and only while the
    /// item is still pinned to `holder` (two workers that see it gone restart the item once).
    nonisolated(nonsending) func restart(item: String, pinnedTo holder: String, from stage: Int?, now: Double) async throws

    /// The records ingested into `collection`, in item then name order.
    nonisolated(nonsending) func ingested(collection: String) async throws -> [IngestRecord]

    /// The ids of `names` in the append-only vocabulary `vocabulary`: a name seen for the first
    /// time gets the next id (from `first` in an empty vocabulary), in code-point order among the
    /// new names of one call — all in one transaction, so concurrent callers, retries and crashes
    /// never give one name two ids or one id two names.
    nonisolated(nonsending) func assignTokens(_ names: [String], in vocabulary: String, first: Int32) async throws -> [String: Int32]

    /// Every name of the vocabulary `vocabulary` with its id, in id order.
    nonisolated(nonsending) func tokens(in vocabulary: String) async throws -> [(name: String, token: Int32)]

    /// Sets what the running `task` holds in each area of `amounts` (0 drops it; other areas
    /// keep theirs): rows tied to the task's claim, which lapse when the claim ends — completed,
    /// failed, given back, or taken back after its lease expired (a dead worker's reservations
    /// go with its tasks, when the worker taking them back removes their files). With `quota`,
    /// the change is made only when everything the task would then hold fits beside every other
    /// task's reservations and the committed artifacts, atomically; returns whether it was.
    /// `files` are the files and folders the task will make in one of the areas (on that area's
    /// row, when the area is among `amounts`), which the quota's `files` bound counts.
    nonisolated(nonsending) func reserve(
        _ task: TaskKey, _ amounts: [Area: Int64], files: (count: Int, area: Area)?, quota: SharedQuota?, now: Double
    ) async throws -> Bool

    /// Records a failure: `retryAt` puts the task back in the queue at that time; nil fails it
    /// for good and blocks the item's later stages. Nothing, unless `owner` still runs the task.
    nonisolated(nonsending) func fail(_ task: TaskKey, by owner: String, _ failure: TaskFailure, retryAt: Double?, now: Double) async throws

    /// Gives a claimed task back without counting the attempt (a graceful stop). Nothing, unless
    /// `owner` still runs the task.
    nonisolated(nonsending) func release(_ task: TaskKey, by owner: String, now: Double) async throws

    /// Artifacts in a state (e.g. released ones still to delete).
    nonisolated(nonsending) func artifacts(in state: ArtifactRecord.State) async throws -> [ArtifactRecord]

    /// Live artifacts of an item (and its groups), all stages.
    nonisolated(nonsending) func liveArtifacts(item: String) async throws -> [ArtifactRecord]

    /// Moves artifacts to a new state.
    nonisolated(nonsending) func mark(_ artifacts: [ArtifactRecord], _ state: ArtifactRecord.State) async throws

    /// Items that failed for good and still hold inputs in `raw` or `interim`, the oldest
    /// failure first: what the budget may evict to make room. A negative `limit`: all of them.
    /// With a `holder`, only items whose inputs that worker can reach: none pinned to another
    /// worker's node-local scratch.
    nonisolated(nonsending) func evictionCandidates(limit: Int, holder: String?) async throws -> [String]

    /// Releases a failed item's inputs in `raw` and `interim` (the caller deletes them) and
    /// records why; `retry` then starts the item again from its first stage.
    nonisolated(nonsending) func evict(item: String, reason: String, now: Double) async throws -> [ArtifactRecord]

    /// Items that wait at the collective stage `stage` (for their group, or the barrier) and
    /// still hold what the source stage (stage 0) fetched for them, unparked, the last item
    /// first: what the budget may park to make room while they wait. With a `holder`, only items
    /// whose files that worker can reach.
    nonisolated(nonsending) func parkingCandidates(at stage: Int, limit: Int, holder: String?) async throws -> [String]

    /// Parks `item`, waiting at the collective stage `stage`: releases what the source stage
    /// fetched for it (the caller deletes it) and records that it must be fetched again — when
    /// its group's task at `stage` completes, the item's source task is queued again instead of
    /// its next one, and that fetch's completion queues the item's first stage still to run, with
    /// a `refetched` event — all in one transaction. Returns the released artifacts: none when the
    /// item does not wait at `stage`, is parked already, or holds nothing fetched.
    nonisolated(nonsending) func park(item: String, at stage: Int, reason: String, now: Double) async throws -> [ArtifactRecord]

    /// Every task, in item then stage order.
    nonisolated(nonsending) func tasks() async throws -> [TaskStatus]

    /// How many tasks of `stage` are in each state.
    nonisolated(nonsending) func counts(stage: Int) async throws -> [TaskState: Int]

    /// The run at a glance: tasks by stage and state, items by outcome (``LedgerOverview``).
    nonisolated(nonsending) func overview() async throws -> LedgerOverview

    /// The tasks of one item (or group task), in stage order; none for a name the run lacks.
    nonisolated(nonsending) func tasks(of item: String) async throws -> [TaskStatus]

    /// At most `limit` tasks in `state`: running ones longest-running first, others the most
    /// recently finished first.
    nonisolated(nonsending) func tasks(in state: TaskState, limit: Int) async throws -> [TaskStatus]

    /// The earliest time a retrying task of `stage` becomes ready, if any.
    nonisolated(nonsending) func nextRetry(stage: Int) async throws -> Double?

    /// Puts failed (and their blocked) tasks back in the queue: of `items`, or all failed ones when nil.
    nonisolated(nonsending) func retry(items: [String]?, now: Double) async throws -> Int

    /// Appends an event.
    nonisolated(nonsending) func record(_ event: LedgerEvent) async throws

    /// Events after `sequence`, oldest first.
    nonisolated(nonsending) func events(after sequence: Int64, limit: Int) async throws -> [LedgerEvent]

    /// The events of one kind (`parked`, `refetched`, …), oldest first.
    nonisolated(nonsending) func events(kind: String) async throws -> [LedgerEvent]

    /// Appends disk samples (taken by one worker at one moment).
    nonisolated(nonsending) func record(samples: [DiskSample]) async throws

    /// The disk samples taken at or after `since`, oldest first.
    nonisolated(nonsending) func samples(since: Double) async throws -> [DiskSample]

    /// Makes everything committed so far durable on disk (before files are deleted on its word).
    nonisolated(nonsending) func sync() async throws

    /// Gives back the room the ledger's own files hold beyond its data where it can (SQLite
    /// empties its write-ahead log once no reader holds it); the budget counts those bytes.
    nonisolated(nonsending) func compact() async throws
}

extension Ledger {
    /// Claims one group (or the barrier) whose members have all reached (or can never reach) `stage`.
    nonisolated(nonsending) public func claimGroup(stage: Int, owner: String, lease: Double, now: Double) async throws -> ClaimedTask? {
        try await claimGroup(stage: stage, owner: owner, lease: lease, now: now, first: false)
    }

    /// Each stage's tasks per state, by the stage's name (`names` in pipeline order).
    nonisolated(nonsending) public func counts(stageNames names: [String]) async throws -> [String: [TaskState: Int]] {
        var counts: [String: [TaskState: Int]] = [:]
        for (index, name) in names.enumerated() { counts[name] = try await self.counts(stage: index) }
        return counts
    }

    /// Sets what the running `task` holds in bytes only (see the requirement).
    nonisolated(nonsending) public func reserve(_ task: TaskKey, _ amounts: [Area: Int64], quota: SharedQuota?, now: Double) async throws -> Bool {
        try await reserve(task, amounts, files: nil, quota: quota, now: now)
    }

    /// Completes a task that ingests nothing (see the requirement).
    @discardableResult
    nonisolated(nonsending) public func complete(_ task: TaskKey, by owner: String, artifacts: [ArtifactRecord], releasing: [TaskKey], now: Double) async throws -> [ArtifactRecord] {
        try await complete(task, by: owner, artifacts: artifacts, releasing: releasing, ingesting: [], now: now)
    }

    /// Two calls, one after the other (a ledger in this process gains nothing from one).
    nonisolated(nonsending) public func complete(
        _ task: TaskKey, by owner: String, artifacts: [ArtifactRecord], releasing: [TaskKey], ingesting: [IngestRecord],
        thenClaim stage: Int, lease: Double, now: Double
    ) async throws -> (released: [ArtifactRecord], next: ClaimedTask?) {
        let released = try await complete(task, by: owner, artifacts: artifacts, releasing: releasing, ingesting: ingesting, now: now)
        let next = try await claim(stage: stage, owner: owner, limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: lease, now: now)
        return (released, next.first)
    }
}
