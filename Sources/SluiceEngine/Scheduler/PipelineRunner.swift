import Foundation
import SluiceFormats
import Synchronization

/// Pushes every item of a pipeline through its stages: each stage has its own workers (its
/// `concurrency`), which claim work from the ledger, reserve disk, run, commit, and delete
/// inputs only after their outputs are recorded. Stages run at the same time, so fetching the
/// next item overlaps processing this one; the ledger connects them (no in-memory queues).
public final class PipelineRunner: Sendable {
    /// The pipeline being run.
    public let config: PipelineConfig
    /// The pipeline's workspace.
    public let workspace: Workspace
    /// The ledger that records the run's progress.
    public let ledger: any Ledger
    /// The disk budget work reserves from before it runs.
    public let budget: DiskBudget
    private let stages: [any Stage]
    /// Receives one readable line per event (start, done, failed, retrying).
    private let onLine: @Sendable (String) -> Void
    /// This process as the ledger knows it; its id is the owner of every lease it holds.
    public let worker: WorkerRecord
    private var owner: String { worker.id }
    /// Whether this runner is `sluice run` or one of several `sluice worker`s.
    public let role: RunnerRole
    /// Wakes a stage's idle workers when work may have become ready for them: a completion
    /// wakes the next stage's only (an item's next task, a group's or the barrier's last member);
    /// a failure or a stop wakes every stage. Idle workers look again after a second anyway.
    private let wakes: [WakeSignal]
    /// Opens when the run is asked to stop: interrupts work waiting for disk and stage work in flight.
    private let stopped = WakeSignal()
    private let state = Mutex(RunState())
    private let started = Date()
    /// Seconds a claimed task stays ours without a heartbeat (sent every sixth of it).
    private let lease: Double
    /// Writes a row per task attempt to the run's trace.
    public let monitor: RunMonitor

    private struct RunState {
        var stopping = false
        /// Why the run stopped itself (the overhead filled the budget), if it did.
        var stopReason: String?
        var finished: [Int: Int] = [:]
        /// Batches between claim and the end of their clean-up, waiting for disk or not.
        var executing = 0
        /// Whether other workers share the run: every reservation is then made against the
        /// quota in the ledger, which sees all of them.
        var shared = false
        var active: [TaskKey: (done: Int64, expected: Int64?)] = [:]
        /// Batches waiting for room in the quota workers share.
        var sharedWaits = 0
    }

    /// A runner for `config`'s stages in `role`; `onLine` receives one readable line per event.
    /// `workspace` is `config`'s, with this worker's node-local scratch where it has one.
    public init(
        config: PipelineConfig, ledger: any Ledger, budget: DiskBudget, role: RunnerRole = .run(wait: false), lease: Double = 60,
        workspace: Workspace? = nil, onLine: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.config = config
        self.workspace = workspace ?? Workspace(root: config.workspace)
        self.stages = config.stages
        self.wakes = config.stages.map { _ in WakeSignal() }
        self.ledger = ledger
        self.budget = budget
        self.onLine = onLine
        self.role = role
        self.lease = lease
        let host = ProcessInfo.processInfo.hostName
        self.worker = WorkerRecord(id: "\(host):\(getpid()):\(UUID().uuidString.prefix(8))", host: host, pid: Int(getpid()), isRun: role.isRun)
        self.monitor = RunMonitor(path: self.workspace.tracePath(for: role.isRun ? nil : worker))
        if !role.isRun { state.withLock { $0.shared = true } }
    }

    /// The stages' names, in pipeline order.
    public var stageNames: [String] { stages.map(\.name) }

    /// Asks the run to stop: no new work is claimed, and work waiting for disk or running in a
    /// stage is interrupted and given back to the ledger (its attempt does not count). Work
    /// between its stage's end and its commit finishes.
    public func requestStop() {
        state.withLock { $0.stopping = true }
        stopped.open()
        wakeEveryStage()
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    /// Says that items were added to the ledger (a dashboard's submission): idle stages look
    /// for work now rather than at their next poll.
    public func noteNewItems() { wakeEveryStage() }

    // MARK: Running

    /// Runs until every item is done or failed, or until `requestStop`; traces every task
    /// attempt meanwhile.
    public func run() async throws -> RunSummary {
        monitor.start()
        do {
            let summary = try await runToTheEnd()
            await finishTrace()
            return summary
        } catch {
            await finishTrace()
            throw error
        }
    }

    /// Writes the trace's last rows (and the metrics as they stand at the end), and says what
    /// it could not write.
    private func finishTrace() async {
        if monitor.metricsWanted { await refreshMetrics() }
        if !(await monitor.finish()) { onLine("the trace could not be written to \(monitor.path) in time; its last rows are lost") }
        let dropped = monitor.dropped
        if dropped > 0 {
            onLine("\(dropped) trace row(s) were dropped: \(monitor.failure ?? "the trace fell behind the run")")
        } else if let failure = monitor.failure {
            onLine(failure)
        }
    }

    private func runToTheEnd() async throws -> RunSummary {
        try await ledger.heartbeat(worker, lease: lease, now: now)
        let others = try await otherLiveWorkers()
        try await ledger.record(
            LedgerEvent(time: now, item: nil, stage: nil, kind: role.isRun ? "run-started" : "worker-started", message: "owner \(owner)"))
        if role.isRun && others == 0 {
            try await WorkspaceRecovery(workspace: workspace, ledger: ledger, stages: stages).recover(now: now)
            try await restartItemsOfLostWorkers()
        } else {
            // Others are at work: only what a dead worker left is taken back.
            try await takeBackExpiredWork(atStart: true)
            if others > 0 {
                state.withLock { $0.shared = true }
                await budget.leaveBytesToTheLedger()
                // A runner that joins waits two seconds, so that a `sluice run` that began alone
                // has seen it (it looks every second), and reserves against the shared quota too,
                // before it writes.
                try await Task.sleep(for: .seconds(2))
            }
        }
        let (usage, overhead) = (workspace.usage(), workspace.overhead())
        await budget.reset(usage: usage.bytes, files: usage.entries, overhead: overhead.bytes, overheadFiles: overhead.entries)
        if state.withLock({ $0.shared }) { await budget.leaveBytesToTheLedger() }
        try await promiseRoomToFetchedItems()
        try await budget.checkRoomForData()
        // Disk samples: now, every five seconds (housekeeping), and at the end.
        try await ledger.record(samples: await diskSamples())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, stage) in stages.enumerated() {
                for _ in 0..<stage.header.concurrency {
                    group.addTask { try await self.work(stage: index) }
                }
            }
            try await group.waitForAll()
        }
        if let reason = state.withLock({ $0.stopReason }) {
            try await ledger.record(LedgerEvent(time: now, item: nil, stage: nil, kind: "run-stopped", message: reason))
            throw BudgetError(code: .overheadFull, message: reason)
        }
        if let scratch = workspace.scratch {
            // This worker's scratch goes with it: its items that still need those files go again.
            try await restartItems(try await ledger.pins().filter { $0.value == owner })
            try? FileManager.default.removeItem(atPath: scratch)
        }
        try await ledger.record(samples: await diskSamples())
        let summary = RunSummary.from(
            tasks: try await ledger.tasks(), stageNames: stageNames,
            seconds: Date().timeIntervalSince(started), workspace: workspace.root, interrupted: stopping)
        try await ledger.retire(worker: owner, now: now)
        try await ledger.record(
            LedgerEvent(
                time: now, item: nil, stage: nil, kind: role.isRun ? "run-finished" : "worker-finished",
                message: "\(summary.done) done, \(summary.failed) failed, \(summary.unfinished) unfinished"))
        return summary
    }

    /// Renews leases, re-reads the filesystem's fill level and the overhead, evicts failed
    /// items' inputs when work waits for disk, and notices stalls — every half second until
    /// cancelled. `PipelineSession` runs it as a service beside `run()`.
    func keepHouse() async {
        var ticks = 0
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(500)) } catch { return }
            ticks += 1
            await budget.pollFilesystem()
            if ticks % Self.sampleTicks == 1 { try? await ledger.record(samples: await diskSamples()) }
            if ticks % 2 == 0, monitor.metricsWanted { await refreshMetrics() }
            // Work waiting for room: the ledger's log gives back what it can (a loaded machine's
            // readers can keep it long, and nothing else may be left to free), counted just after.
            if ticks % 4 == 3, await budget.isShortOfSpace { try? await ledger.compact() }
            if ticks % 4 == 0 {
                let overhead = workspace.overhead()
                await budget.setOverhead(overhead.bytes, files: overhead.entries)
            }
            // Work waits for room, in this worker's books or in the quota workers share: the
            // oldest failed item's inputs go (one this worker can reach).
            let shortOfSpace = await budget.isShortOfSpace
            if config.onFailure == .evict, shortOfSpace || state.withLock({ $0.sharedWaits > 0 }),
                let item = try? await ledger.evictionCandidates(limit: 1, holder: owner).first
            {
                try? await evictInputs(of: item, reason: "evicted to make room for waiting work")
            } else if shortOfSpace || state.withLock({ $0.sharedWaits > 0 }) {
                // Then an item that waits for its group (or the barrier) gives up what it fetched;
                // it is fetched again once the group's stage is done.
                try? await parkOneItem()
            }
            if let reason = await budget.overheadBlockage {
                state.withLock { $0.stopReason = reason }
                requestStop()
                await budget.cancelWaiters()
            }
            await budget.failStalledWaiter(after: 10, executing: state.withLock { $0.executing })
            if ticks % max(1, Int(heartbeatInterval * 2)) == 0 { try? await ledger.heartbeat(worker, lease: lease, now: now) }
            // A lone `sluice run` looks for workers that joined every second (a worker that joins
            // waits two before it writes).
            if ticks % 2 == 0, role.isRun, !state.withLock({ $0.shared }), (try? await otherLiveWorkers()) ?? 0 > 0 {
                state.withLock { $0.shared = true }
                await budget.leaveBytesToTheLedger()
                onLine("other workers joined the run: reservations are now made against the quota they share")
            }
            // Where workers share the run, any live one takes back what a dead one held, once its
            // lease ran out (a lone `sluice run` recovered everything at its start).
            if ticks % 10 == 0, state.withLock({ $0.shared }) { try? await takeBackExpiredWork(atStart: false) }
        }
    }

    /// Sets the metrics' gauges from the ledger's counts and the budget's books.
    private func refreshMetrics() async {
        if let tasks = try? await ledger.counts(stageNames: stageNames) { monitor.metrics.refresh(tasks: tasks) }
        monitor.metrics.refresh(books: await budget.snapshot, droppedTraceRows: monitor.dropped)
    }

    /// Housekeeping ticks (half seconds) between two disk samples.
    static let sampleTicks = 10

    /// What each area and the whole workspace hold now, as this runner's books say.
    public func diskSamples() async -> [DiskSample] {
        let books = await budget.snapshot
        let time = now
        let areas = Area.allCases.map { area in
            DiskSample(
                time: time, worker: owner, area: area.rawValue, committed: books.committed[area] ?? 0, reserved: books.reserved[area] ?? 0,
                quota: books.limits.areas[area])
        }
        let committed = Area.allCases.reduce(books.overhead) { $0 + (books.committed[$1] ?? 0) }
        let reserved = Area.allCases.reduce(Int64(0)) { $0 + (books.reserved[$1] ?? 0) }
        return areas + [DiskSample(time: time, worker: owner, area: DiskSample.total, committed: committed, reserved: reserved, quota: books.limits.total)]
    }

    /// Seconds between heartbeats: a sixth of the lease, so that five can be lost before it lapses.
    private var heartbeatInterval: Double { lease / 6 }

    /// Other workers alive as far as this one can tell: not stopped, heard of within a lease,
    /// and — on this host — with their process still there. For `sluice run`, which holds the
    /// workspace lock, an earlier `sluice run` is dead whatever its row says.
    private func otherLiveWorkers() async throws -> Int {
        let now = now
        return try await ledger.workers().filter { status in
            status.worker.id != owner && !(role.isRun && status.worker.isRun) && status.seemsAlive(now: now, within: lease, host: worker.host)
        }.count
    }

    /// Returns tasks whose lease expired (their worker died) to the queue, removes what their
    /// attempts left, deletes the inputs such a worker released but had not deleted yet (at
    /// start, or after taking work back: a live worker deletes its own), and wakes the stages.
    private func takeBackExpiredWork(atStart: Bool) async throws {
        // What the dead worker's attempts left goes before their tasks can be claimed again, so
        // that a new attempt's files (on this worker or another) are never taken for them.
        let expired = try await ledger.expired(now: now)
        let freed = try WorkspaceRecovery(workspace: workspace, ledger: ledger, stages: stages).removeLeftovers(of: expired)
        for (area, size) in freed where size.entries > 0 { await budget.freed(size.bytes, files: size.entries, in: area) }
        let reclaimed = try await ledger.reclaim(all: false, now: now)
        try await restartItemsOfLostWorkers()
        guard !reclaimed.isEmpty || atStart else { return }
        try await ArtifactRemover(workspace: workspace, ledger: ledger).delete(try await ledger.artifacts(in: .released), budget: budget)
        if !reclaimed.isEmpty {
            onLine("took back \(reclaimed.count) task(s) whose worker stopped sending heartbeats")
            wakeEveryStage()
        }
    }

    private var now: Double { Date().timeIntervalSince1970 }

    // MARK: Node-local scratch

    /// Restarts the items pinned to workers that are gone — dead (no heartbeat within a lease)
    /// or stopped — whose node-local files are lost with them.
    private func restartItemsOfLostWorkers() async throws {
        let pins = try await ledger.pins()
        guard !pins.isEmpty else { return }
        let now = now
        let alive = Set(try await ledger.workers().filter { $0.seemsAlive(now: now, within: lease, host: worker.host) }.map(\.worker.id))
        let lost = pins.filter { !alive.contains($0.value) && $0.value != owner }
        if !lost.isEmpty { try await restartItems(lost) }
    }

    /// Sends each item of `pins` (item → holder) back to the first stage whose node-local output
    /// a stage still to run needs (``restartStage(_:)``), or only unpins it when none does.
    private func restartItems(_ pins: [String: String]) async throws {
        let items = pins.keys.sorted()
        guard !items.isEmpty else { return }
        let tasks = Dictionary(grouping: try await ledger.tasks().filter { !$0.isGroup && items.contains($0.item) }, by: \.item)
        var again: [String] = []
        for item in items {
            let stage = restartStage(tasks[item] ?? [])
            try await ledger.restart(item: item, pinnedTo: pins[item]!, from: stage, now: now)
            if stage != nil { again.append(item) }
        }
        if !again.isEmpty {
            onLine("\(again.count) item(s) go again on any worker: their files were in the node-local scratch of a worker that is gone (\(again.joined(separator: ", ")))")
            wakeEveryStage()
        }
    }

    /// The stage an item whose node-local files are lost goes back to: the earliest whose output
    /// in a node-local area a stage still to run reads — or, when that stage's own input was
    /// node-local too, the earliest stage of that chain. Nil when no stage still to run needs
    /// them (the item is done or failed, or its later stages read shared areas only).
    private func restartStage(_ tasks: [TaskStatus]) -> Int? {
        guard !tasks.contains(where: { $0.state == .failed || $0.state == .blocked }),
            let first = tasks.filter({ $0.state != .done }).map(\.stage).min()
        else { return nil }
        let isLocal = { [stages] (stage: Int) in stages[stage].outputArea.map(Area.nodeLocal.contains) == true }
        var needed = stages.indices.dropFirst(first).compactMap { self.inputStage(of: $0) }.filter { $0 < first && isLocal($0) }.min()
        while let stage = needed, let input = inputStage(of: stage), isLocal(input) { needed = input }
        return needed
    }

    private func work(stage index: Int) async throws {
        let scheduling = stages[index].scheduling
        // A per-item stage's next task, claimed by the completion of its last one (one call to
        // the ledger where there would be two), and when.
        var next: (task: ClaimedTask, at: Double)?
        while !stopping {
            let claimed: [ClaimedTask]
            var claimedAt = now
            switch scheduling {
            case .perItem:
                if let (task, at) = next {
                    (claimed, claimedAt, next) = ([task], at, nil)
                } else {
                    claimed = try await ledger.claim(stage: index, owner: owner, limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: lease, now: now)
                }
            case .batch(let count, let enough, let maxWait):
                claimed = try await ledger.claim(
                    stage: index, owner: owner, limit: count, minimum: count, enough: enough, maxWait: maxWait, lease: lease, now: now)
            case .perGroup, .perGroupFirst, .barrier:
                claimed =
                    try await ledger.claimGroup(stage: index, owner: owner, lease: lease, now: now, first: scheduling == .perGroupFirst).map { [$0] } ?? []
            }
            if claimed.isEmpty {
                let active = try await activeTasks(stage: index)
                // Nothing left here for now; but while other stages have work, items may come
                // back to this one (a lost worker's node-local files send them back to the stage
                // that made them), so this stage's loop ends only with the run's work.
                if active == 0, try await anyStageActive() {
                    await wakes[index].wait(atMost: 1.0)
                    continue
                }
                if active == 0 {
                    guard role.waitsForItems else { return }
                    // A waiting worker looks for new items every few seconds until it is stopped.
                    await wakes[index].wait(atMost: 5)
                    continue
                }
                let nextRetry = try await ledger.nextRetry(stage: index).map { max(0.05, $0 - now) } ?? 1.0
                await wakes[index].wait(atMost: min(1.0, nextRetry))
                continue
            }
            state.withLock { $0.executing += 1 }
            defer { state.withLock { $0.executing -= 1 } }
            next = try await execute(claimed, stage: index, claimedAt: claimedAt, claimingNext: scheduling == .perItem)
            if index + 1 < wakes.count { wakes[index + 1].notifyAll() }
        }
        // Claimed as the run stopped: given back untouched.
        if let next { try await ledger.release(next.task.key, by: owner, now: now) }
    }

    /// Tasks of `stage` that are not finished: waiting, ready, running or to be retried.
    private func activeTasks(stage: Int) async throws -> Int {
        let counts = try await ledger.counts(stage: stage)
        return TaskState.allCases.filter(\.isActive).reduce(0) { $0 + (counts[$1] ?? 0) }
    }

    /// Whether any stage has tasks that are not finished.
    private func anyStageActive() async throws -> Bool {
        for stage in stages.indices where try await activeTasks(stage: stage) > 0 { return true }
        return false
    }

    private func wakeEveryStage() {
        for wake in wakes { wake.notifyAll() }
    }

    // MARK: One batch

    /// Runs one batch to its commit or failure. With `claimingNext` (a per-item stage), the
    /// commit also claims the stage's next task unless the run is stopping: returned, with when.
    private func execute(_ tasks: [ClaimedTask], stage index: Int, claimedAt: Double, claimingNext: Bool) async throws -> (task: ClaimedTask, at: Double)? {
        let stage = stages[index]
        var units: [StageUnit] = []
        for task in tasks {
            let logFolder = try workspace.logFolder(item: task.item.name)
            // The engine's lines go to the run's log (each names its item); the item's folder
            // holds only what its programs print.
            let log = DatasetLog(dataset: task.item.name, folder: workspace.logsFolder)
            let isGroup = ItemSpec.isCollectiveID(task.item.name)
            let output = try stage.outputFolder(item: isGroup ? ItemSpec.collectiveName(ofTask: task.item.name) : task.item.name, isGroup: isGroup).map(workspace.absolute)
            var unit = StageUnit(
                task: task, input: isGroup ? nil : try inputFolder(item: task.item.name, before: index),
                memberInputs: try task.members.compactMap { try inputFolder(item: $0.name, before: index) },
                partialOutput: output.map { $0 + partialSuffix(shared: stage.keepsPartialOutput) }, output: output,
                logFolder: logFolder, log: log)
            if !isGroup {
                for first in config.groupFirstStages(before: index) {
                    let folder = try stages[first].outputFolder(item: task.item.groupName, isGroup: true).map(workspace.absolute)
                    unit.groupOutputs[stages[first].name] = folder
                }
                var earlier = inputStage(of: index)
                while let stageIndex = earlier {
                    unit.earlierOutputs[stages[stageIndex].name] = try stages[stageIndex].outputFolder(item: task.item.name, isGroup: false).map(workspace.absolute)
                    earlier = inputStage(of: stageIndex)
                }
            }
            if task.attempt > 1 { log.log(step: stage.name, "attempt \(task.attempt) of \(stage.header.retries + 1)") }
            units.append(unit)
        }
        let names = units.map(\.item.name).joined(separator: ", ")
        let clock = ContinuousClock.now
        var reservation: Reservation?
        let holding = QuotaHolding(
            ledger: ledger, tasks: units.map(\.task.key), nodeLocal: workspace.scratch == nil ? [] : Area.nodeLocal,
            quota: state.withLock { $0.shared } ? SharedQuota(limits: config.budget) : nil,
            overhead: { [budget] in
                let books = await budget.snapshot
                return (books.overhead, books.overheadFiles)
            },
            waiting: { [weak self] starts in self?.state.withLock { $0.sharedWaits += starts ? 1 : -1 } })
        // What each unit's commit adds to the disk, by the unit's position: its output folder,
        // or the outermost folder the output's path made (an item's first folder in an area).
        var measured: [Int: String] = [:]
        // For the trace: when the work began (its space granted), what the stage measured, and
        // what each unit had reserved (a batch's units their first estimates; one unit its
        // reservation as it ended, grown as the stage learnt its size).
        var startedAt: Double?
        let measurements = TaskMeasurements()
        var reserved: [Int64] = []
        var following: (task: ClaimedTask, at: Double)?
        do {
            let granted = try await untilStopped { [units] in try await self.reserve(units, stage: index) }
            reservation = granted.reservation
            reserved = granted.perUnit
            // On the ledger's books: for `sluice status`, and, when workers share the run, against
            // the quota they share (a stage that writes nothing holds nothing there).
            try await untilStopped { [budget] in
                try await holding.open(
                    await budget.bytes(of: granted.reservation), files: granted.files, in: stage.outputArea ?? .interim, scratch: granted.scratch,
                    headroom: granted.headroom, headroomFiles: granted.headroomFiles)
            }
            for (position, unit) in units.enumerated() {
                guard let partial = unit.partialOutput else { continue }
                if stage.keepsPartialOutput {
                    // A resumed download's (or an adopted job's) bytes move from the books' "used"
                    // to this reservation.
                    let existing = DiskUsage.measure(partial)
                    if existing.entries > 0 {
                        await budget.freed(existing.bytes, files: existing.entries, in: stage.outputArea ?? .raw)
                        let extra = try await untilStopped { [budget] in
                            try await budget.reserve(existing.bytes, files: existing.entries, in: stage.outputArea ?? .raw, priority: index)
                        }
                        await budget.merge(extra, into: reservation!)
                        try await untilStopped { try await holding.grow(existing.bytes, in: stage.outputArea ?? .raw, headroom: 0) }
                    }
                } else {
                    // Also what an earlier attempt, on any worker, left under its own name.
                    for stale in [partial] + Self.workerPartials(of: unit.output) { try workspace.remove(stale) }
                }
                if let output = unit.output { measured[position] = Self.outermostMissingFolder(of: output) ?? output }
                try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
            }
            let keys = units.map(\.task.key)
            let context = StageContext(
                workspace: workspace, budget: budget, ledger: ledger, reservation: reservation!, holding: holding, priority: index,
                producer: stage.isSource, promise: Self.promisedItem(of: units),
                headroom: { [stages, firstItem = units[0].item, areas = headroomAreas] bytes in
                    Self.laterRoom(stages, inputBytes: bytes, item: firstItem, in: areas)
                },
                progress: { [weak self] done, expected in self?.noteProgress(keys, done, expected) }, measurements: measurements)
            startedAt = now
            try await untilStopped { [units] in try await stage.run(units, context: context) }
            if units.count == 1 { reserved = [await budget.bytes(of: reservation!)] }
            var written: Int64 = 0
            var released: [ArtifactRecord] = []
            var writtenByUnit: [Int64] = []
            var held: (bytes: Int64, entries: Int) = (0, 0)
            for (position, unit) in units.enumerated() {
                let claiming = claimingNext && units.count == 1 && !stopping
                let committed = try await commit(unit, stage: index, measuring: measured[position], thenClaiming: claiming)
                held = (held.bytes + committed.held.bytes, held.entries + committed.held.entries)
                written += committed.bytes
                writtenByUnit.append(committed.bytes)
                released += committed.released
                following = committed.next.map { ($0, now) }
            }
            trace(
                units, stage: index, status: .completed, claimedAt: claimedAt, startedAt: startedAt, measurements: measurements,
                reserved: reserved, written: writtenByUnit)
            // The books count what the commits added to the disk: the folders' blocks and entries.
            let overrun = await budget.settle(reservation!, actual: held.bytes, files: held.entries)
            // A download's promise stays for its item's next stage; a stage's scratch space that
            // it did not ask for is free again.
            if !stage.isSource { await budget.releasePromises(of: units.flatMap(\.itemNames)) }
            if overrun > 0 {
                for unit in units { unit.log.log(.warning, step: stage.name, "wrote \(ByteSize.format(overrun)) more than it reserved; raise the stage's output_ratio or reserve") }
            }
            state.withLock { state in
                state.finished[index, default: 0] += units.count
                for unit in units { state.active[unit.task.key] = nil }
            }
            let seconds = (ContinuousClock.now - clock) / .seconds(1)
            onLine("\(stage.name) \(names): done (\(ByteSize.format(written)), \(String(format: "%.1f", seconds)) s)")
            try await deleteReleasedInputs(released)
            if index == stages.count - 1 {
                // The item is finished: its log folder joins the run's logs.
                for unit in units {
                    for item in unit.itemNames { try workspace.foldLogs(item: item) }
                }
            }
        } catch {
            // The next task claimed with the commit goes back untouched (or, should the ledger
            // fail now, when its lease lapses).
            if let (task, _) = following {
                following = nil
                try? await ledger.release(task.key, by: owner, now: now)
            }
            state.withLock { state in for unit in units { state.active[unit.task.key] = nil } }
            trace(
                units, stage: index, status: Self.givesBack(error, stopping: stopping) ? .aborted : .failed, claimedAt: claimedAt,
                startedAt: startedAt, measurements: measurements, reserved: reserved, written: nil, error: Self.describe(error).code)
            var unrecorded: (any Error)?
            var failed: [String] = []
            do { failed = try await handleFailure(error, units: units, stage: index) } catch { unrecorded = error }
            // A failure may make later stages' groups or the barrier ready (a member that can never arrive).
            wakeEveryStage()
            // The room kept for the items' next stage, or for this stage's scratch, is free again.
            await budget.releasePromises(of: units.flatMap(\.itemNames))
            if let reservation {
                // A download's partial file kept to resume stays on the disk, so on the books.
                let kept = DiskUsage.measure(units.compactMap(\.partialOutput))
                await budget.settle(reservation, actual: kept.bytes, files: kept.entries)
            }
            if let unrecorded { throw unrecorded }
            if config.onFailure == .delete {
                for item in failed { try await evictInputs(of: item, reason: "deleted (on_failure: delete)") }
            }
        }
        return following
    }

    /// Whether a batch that ended with `error` is given back unfinished rather than failed: the
    /// run stopped, another worker holds its task now, or the quota workers share had no room.
    static func givesBack(_ error: any Error, stopping: Bool) -> Bool {
        error is CancellationError || stopping || (error as? LedgerError)?.code == .leaseLost
            || (error as? BudgetError)?.code == .sharedQuotaFull
    }

    /// Queues one trace row for each unit of a batch that ended.
    private func trace(
        _ units: [StageUnit], stage index: Int, status: TaskTrace.Status, claimedAt: Double, startedAt: Double?,
        measurements: TaskMeasurements, reserved: [Int64], written: [Int64]?, error: String? = nil
    ) {
        let completed = now
        for (position, unit) in units.enumerated() {
            var trace = TaskTrace(
                stage: stages[index].name, item: unit.name, status: status, attempt: unit.task.attempt, submitted: claimedAt,
                completed: completed, host: worker.host)
            trace.started = startedAt
            trace.usage = measurements.usage
            trace.nativeID = measurements.nativeID
            trace.area = stages[index].outputArea?.rawValue
            trace.reserved = reserved.indices.contains(position) ? reserved[position] : nil
            trace.written = written?[position]
            trace.error = error
            monitor.record(trace)
        }
    }

    /// Runs `body` until it ends or the run is asked to stop; then `body` is cancelled (a
    /// download or program is interrupted, a wait for disk ends) and this throws
    /// `CancellationError`, so that the work is given back. The runner's own task is never
    /// cancelled by a graceful stop, so that it can still record that in the ledger.
    private func untilStopped<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        if stopping { throw CancellationError() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            defer { group.cancelAll() }
            group.addTask { try await body() }
            group.addTask {
                await self.stopped.wait()
                return nil
            }
            while let next = try await group.next() {
                if let value = next { return value }
                // The stop came first: interrupt the body and wait for it to end.
                group.cancelAll()
            }
            throw CancellationError()
        }
    }

    private func noteProgress(_ keys: [TaskKey], _ done: Int64, _ expected: Int64?) {
        state.withLock { state in for key in keys { state.active[key] = (done, expected) } }
    }

    /// Promises their later stages' room (``DiskBudget``) to the items fetched before this run
    /// started whose next stage has yet to run, as their downloads did when they began: a
    /// resumed run's new downloads cannot take it either.
    private func promiseRoomToFetchedItems() async throws {
        guard stages.count > 1, stages[0].isSource else { return }
        let tasks = try await ledger.tasks()
        let fetched = Set(tasks.filter { $0.stage == 0 && $0.state == .done && !$0.isGroup }.map(\.item))
        let items = Dictionary(config.items.map { ($0.name, $0) }) { first, _ in first }
        for task in tasks where task.stage == 1 && [.waiting, .pending, .retrying].contains(task.state) && fetched.contains(task.item) {
            guard let item = items[task.item], let input = try inputFolder(item: item.name, before: 1) else { continue }
            let bytes = DiskUsage.contentBytes(at: input)
            let room = Self.laterRoom(stages, inputBytes: bytes, item: item, in: headroomAreas)
            await budget.promise(room, to: item.name, in: stages[0].outputArea ?? .raw)
        }
    }

    /// The folder an item's stage `index` reads: the output of the stage it names with `from:`,
    /// or else of the nearest earlier stage that writes one.
    private func inputFolder(item: String, before index: Int) throws -> String? {
        guard let input = inputStage(of: index) else { return nil }
        return try stages[input].outputFolder(item: item, isGroup: false).map(workspace.absolute)
    }

    /// The stage whose outputs stage `index` reads.
    private func inputStage(of index: Int) -> Int? { config.inputStage(of: index) }

    /// Whether stage `index` is the last one that reads stage `input`'s outputs: only the last
    /// reader may release them for deletion.
    private func isLastReader(_ index: Int, of input: Int) -> Bool {
        !stages.indices.contains { $0 > index && inputStage(of: $0) == input }
    }

    /// Reserves what a batch's units will write — their stage's estimate of the content,
    /// allocated on disk (whole blocks, and a block for each of the unit's folders) — and returns
    /// the reservation, the headroom a download keeps free for its item's later stages, the
    /// scratch space the stage will ask for, and the files and folders the outputs will make
    /// (and a download keeps free for its item's next stage).
    private func reserve(_ units: [StageUnit], stage index: Int) async throws -> (
        reservation: Reservation, headroom: Int64, scratch: Int64, perUnit: [Int64], files: Int, headroomFiles: Int
    ) {
        let stage = stages[index]
        var perUnit: [Int64] = []
        var headroom: Int64 = 0
        // The scratch space its stage will ask for as it runs: held from the start where workers
        // share the quota (``QuotaHolding``).
        var scratch: Int64 = 0
        for unit in units {
            let inputBytes =
                stage.isSource
                ? (unit.item.size ?? 0)
                : ([unit.input].compactMap { $0 } + unit.memberInputs).reduce(Int64(0)) { $0 + DiskUsage.contentBytes(at: $1) }
            perUnit.append(Self.allocation(of: stage, inputBytes: inputBytes, item: unit.item))
            let scratchBytes = stage.scratchBytes(inputBytes: inputBytes, item: unit.item)
            if scratchBytes > 0 { scratch += DiskUsage.allocation(forLength: scratchBytes) }
            if stage.isSource {
                // Room the item's later stages will need, kept free while fetching it.
                headroom = max(headroom, Self.laterRoom(stages, inputBytes: inputBytes, item: unit.item, in: headroomAreas))
            }
        }
        let files = stage.outputArea == nil ? 0 : units.count * Self.entriesPerUnit
        // A download promises its item the room of its later stages, a later stage its scratch
        // space (asked for as it runs), each in place of the room it was promised before; the
        // items of a batch of several give theirs back.
        let promised = Self.promisedItem(of: units)
        // A download also keeps the files and folders its next stage will make (when `files:`
        // bounds them), so that fetched items cannot fill that bound either.
        let laterFiles = stage.isSource && stages.dropFirst().contains { $0.outputArea != nil } ? units.count * Self.entriesPerUnit : 0
        let reservation = try await budget.reserve(
            perUnit.reduce(0, +), files: files, in: stage.outputArea ?? .interim, priority: index,
            headroom: stage.isSource ? headroom : scratch, headroomFiles: laterFiles, producer: stage.isSource, promising: promised,
            redeeming: stage.isSource ? [] : units.flatMap(\.itemNames).filter { $0 != promised })
        return (reservation, headroom, scratch, perUnit, files, laterFiles)
    }

    /// The item a batch's room is promised to (``DiskBudget``): that of a batch of one item;
    /// none for several, or a group's task.
    static func promisedItem(of units: [StageUnit]) -> String? {
        units.count == 1 && !units[0].isCollective ? units[0].item.name : nil
    }

    /// The suffix of a unit's output while it is written. When workers share the run, a
    /// non-source stage's is named for this worker, so that a worker whose lease lapsed and the
    /// one that took its task over never write into the same folder; a download's (or a SLURM
    /// job's) stays `.partial`, so that any worker's next attempt resumes (or adopts) it.
    private func partialSuffix(shared: Bool) -> String {
        role.isRun || shared ? ".partial" : ".\(owner.suffix(8)).partial"
    }

    /// Partial outputs of `output` named for a worker (`NAME.<worker>.partial`).
    static func workerPartials(of output: String?) -> [String] {
        guard let output else { return [] }
        let folder = (output as NSString).deletingLastPathComponent
        let name = (output as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix(name + ".") && $0.hasSuffix(".partial") && $0 != name + ".partial" }.map { folder + "/" + $0 }
    }

    /// The outermost of `path`'s parent folders that does not exist yet; nil when its parent does.
    static func outermostMissingFolder(of path: String) -> String? {
        var missing: String?
        var current = (path as NSString).deletingLastPathComponent
        while current.count > 1, !FileManager.default.fileExists(atPath: current) {
            missing = current
            current = (current as NSString).deletingLastPathComponent
        }
        return missing
    }

    /// Files and folders reserved for one unit's outputs: the item's folder, the stage's, a file.
    static let entriesPerUnit = 3

    /// What a stage's estimate for one unit takes on disk; nothing for a stage that writes nothing.
    static func allocation(of stage: any Stage, inputBytes: Int64, item: ItemSpec) -> Int64 {
        guard stage.outputArea != nil else { return 0 }
        return DiskUsage.allocation(forLength: stage.estimatedBytes(inputBytes: inputBytes, item: item)) + DiskUsage.blockSize
    }

    /// The most room one of the stages after the first needs for one item in `areas` (what a
    /// download keeps free, and promises, for its item); a group's first stage, which its
    /// members pass without running, needs none for it.
    static func laterRoom(_ stages: [any Stage], inputBytes: Int64, item: ItemSpec, in areas: Set<Area>) -> Int64 {
        stages.dropFirst().filter { $0.scheduling != .perGroupFirst }.map { room(for: $0, inputBytes: inputBytes, item: item, in: areas) }.max() ?? 0
    }

    /// The room a later stage needs for one item in `areas`: its outputs and its scratch space
    /// (in `interim`).
    static func room(for stage: any Stage, inputBytes: Int64, item: ItemSpec, in areas: Set<Area> = Set(Area.allCases)) -> Int64 {
        let scratch = areas.contains(.interim) ? stage.scratchBytes(inputBytes: inputBytes, item: item) : 0
        let outputs = stage.outputArea.map(areas.contains) == true ? allocation(of: stage, inputBytes: inputBytes, item: item) : 0
        return outputs + (scratch > 0 ? DiskUsage.allocation(forLength: scratch) : 0)
    }

    /// The areas whose room a download keeps free for its item's later stages: those of the
    /// books it reserves from — with node-local scratch, the scratch's (the shared areas are
    /// reserved from the quota the workers share when those stages run).
    private var headroomAreas: Set<Area> { workspace.scratch == nil ? Set(Area.allCases) : Area.nodeLocal }

    /// Flushes, renames into place and records one unit's outputs; returns their bytes, and the
    /// inputs the ledger released.
    private func commit(_ unit: StageUnit, stage index: Int, measuring folder: String?, thenClaiming: Bool) async throws -> (
        bytes: Int64, held: (bytes: Int64, entries: Int), released: [ArtifactRecord], next: ClaimedTask?
    ) {
        let stage = stages[index]
        var artifacts: [ArtifactRecord] = []
        var held: (bytes: Int64, entries: Int) = (0, 0)
        if let partial = unit.partialOutput, let output = unit.output, let area = stage.outputArea {
            try AtomicCommit.commit(partial, to: output)
            // Measured before the ledger hands the output on: once it has, a later stage (a
            // clean-up) may delete it and return its bytes to the books before they were added.
            if let folder { held = DiskUsage.measure(folder) }
            for file in DurableFiles.files(at: output) {
                let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: file.path)) != nil
                artifacts.append(
                    ArtifactRecord(
                        task: unit.task.key, path: workspace.relative(file.path) ?? file.path, area: area,
                        bytes: file.bytes, sha256: isLink ? nil : try DurableFiles.sha256(file.path)))
            }
            if artifacts.isEmpty {
                artifacts.append(ArtifactRecord(task: unit.task.key, path: workspace.relative(output) ?? output, area: area, bytes: 0))
            }
            // Stages that batch this output by weight (pages, cells, …) learn it before it is ready.
            if !unit.isCollective {
                for later in stages.indices.dropFirst(index + 1) where inputStage(of: later) == index {
                    if let weight = try await stages[later].weight(ofInput: output, item: unit.item) {
                        try await ledger.weigh(TaskKey(item: unit.item.name, stage: later), weight)
                    }
                }
            }
        }
        var releasing: [TaskKey] = []
        // A group's first stage reads no member's files: it releases none.
        if stage.consumesInputs, stage.scheduling != .perGroupFirst, let previous = inputStage(of: index), isLastReader(index, of: previous),
            let area = stages[previous].outputArea, area == .raw || area == .interim
        {
            let items = unit.isCollective ? unit.task.members.map(\.name) : [unit.item.name]
            releasing = items.map { TaskKey(item: $0, stage: previous) }
        }
        // Files on this node's scratch: only this worker can run the item's next stages.
        if workspace.scratch != nil, let area = stage.outputArea, Area.nodeLocal.contains(area), !unit.isCollective {
            try await ledger.pin(item: unit.item.name, to: owner)
        }
        let records = try stage.records(for: unit)
        let bytes = artifacts.reduce(Int64(0)) { $0 + $1.bytes }
        guard thenClaiming else {
            return (bytes, held, try await ledger.complete(unit.task.key, by: owner, artifacts: artifacts, releasing: releasing, ingesting: records, now: now), nil)
        }
        let answer = try await ledger.complete(
            unit.task.key, by: owner, artifacts: artifacts, releasing: releasing, ingesting: records, thenClaim: index, lease: lease, now: now)
        return (bytes, held, answer.released, answer.next)
    }

    /// Deletes what the ledger released when this batch committed (its inputs: other workers
    /// delete their own, so nothing is deleted, and returned to the budget, twice), once the
    /// ledger's word is on disk.
    private func deleteReleasedInputs(_ released: [ArtifactRecord]) async throws {
        guard !released.isEmpty else { return }
        try await ledger.sync()
        try await ArtifactRemover(workspace: workspace, ledger: ledger).delete(released, budget: budget)
    }

    /// Records a batch's failure; returns the items that failed for good.
    private func handleFailure(_ error: any Error, units: [StageUnit], stage index: Int) async throws -> [String] {
        let stage = stages[index]
        var failedForGood: [String] = []
        let failure = Self.describe(error)
        // A program stopped by a signal that reached this process too (a scheduler's scancel
        // signals the whole job) may fail a moment before the stop is seen: a transient failure
        // waits that moment, so that its task is given back rather than failed.
        if failure.transient, !stopping { try? await Task.sleep(for: .milliseconds(300)) }
        let cancelled = error is CancellationError || stopping
        if (error as? LedgerError)?.code == .leaseLost {
            // Another worker holds the task now: its files and its record are its own.
            for unit in units { unit.log.log(.warning, step: stage.name, failure.message, ["code": failure.code]) }
            onLine("\(stage.name) \(units.map(\.item.name).joined(separator: ", ")): \(failure.message)")
            return []
        }
        if (error as? BudgetError)?.code == .sharedQuotaFull {
            // Given back, not failed: the attempt does not count, and what it held (a download's
            // partial file too) goes now, so that other workers' work can finish first.
            for unit in units {
                for path in [unit.partialOutput, unit.output].compactMap({ $0 }) { try? workspace.remove(path) }
                try await ledger.release(unit.task.key, by: owner, now: now)
                unit.log.log(.warning, step: stage.name, failure.message, ["code": failure.code])
            }
            onLine("\(stage.name) \(units.map(\.item.name).joined(separator: ", ")): \(failure.message)")
            // A pause, so that the work that frees the room goes first.
            try? await Task.sleep(for: .seconds(Double.random(in: 1...3)))
            return []
        }
        for unit in units {
            let retry = failure.transient && unit.task.attempt <= stage.header.retries
            // A download interrupted by a transient fault keeps its partial file, to resume with
            // Range; a checkpointed task its partial output, to resume from its last checkpoint.
            let resumes = stage.isSource || stage.resumesInterruptedAttempts
            if let partial = unit.partialOutput, !(resumes && (retry || cancelled)) { try? workspace.remove(partial) }
            // A commit that failed after its rename leaves an output the ledger does not know.
            if let output = unit.output {
                try? workspace.remove(output)
                workspace.removeEmptyFolders(from: (output as NSString).deletingLastPathComponent)
            }
            if cancelled && stopping {
                try await ledger.release(unit.task.key, by: owner, now: now)
                unit.log.log(.warning, step: stage.name, "interrupted by the stop; it will run again next time")
                continue
            }
            let delay = retry ? Self.backoff(attempt: unit.task.attempt) : nil
            try await ledger.fail(unit.task.key, by: owner, TaskFailure(code: failure.code, message: failure.message), retryAt: delay.map { now + $0 }, now: now)
            if let delay {
                unit.log.log(.warning, step: stage.name, "\(failure.message) — retrying in \(String(format: "%.1f", delay)) s", ["code": failure.code])
                onLine("\(stage.name) \(unit.item.name): \(failure.message) — retry \(unit.task.attempt)/\(stage.header.retries) in \(String(format: "%.1f", delay)) s")
            } else {
                unit.log.log(.error, step: stage.name, failure.message, ["code": failure.code])
                onLine("\(stage.name) \(unit.item.name): FAILED: \(failure.message)")
                failedForGood += unit.isCollective ? unit.task.members.map(\.name) : [unit.item.name]
            }
        }
        return failedForGood
    }

    /// Deletes the inputs (`raw/`, `interim/`) of an item that failed for good, recorded in the
    /// ledger first so that `sluice retry` knows to fetch it again.
    private func evictInputs(of item: String, reason: String) async throws {
        let doomed = try await ledger.evict(item: item, reason: reason, now: now)
        try await ledger.sync()
        let remover = ArtifactRemover(workspace: workspace, ledger: ledger)
        try await remover.delete(doomed, budget: budget)
        // Then anything else of the item's there (never a download's partial: the item failed).
        let leftovers = try await remover.removeFolders(of: item, in: [.raw, .interim], budget: budget)
        let bytes = doomed.reduce(Int64(0)) { $0 + $1.bytes } + leftovers
        monitor.metrics.noteEviction()
        let log = DatasetLog(dataset: item, folder: workspace.logsFolder)
        log.log(.warning, step: "budget", "inputs of this failed item \(reason) (\(ByteSize.format(bytes))); sluice retry fetches it again")
        onLine("\(item): inputs of a failed item \(reason) (\(ByteSize.format(bytes)))")
    }

    /// The collective stages whose waiting items may be parked: after a source stage, reading
    /// something else than what it fetched, and followed by a stage that reads it again.
    private var parkingStages: [Int] {
        guard stages.first?.isSource == true else { return [] }
        return stages.indices.filter { index in
            stages[index].scheduling.isCollective && inputStage(of: index) != 0
                && stages.indices.contains { $0 > index && inputStage(of: $0) == 0 }
        }
    }

    /// Parks the last item that waits at a parking stage (``Ledger/park(item:at:reason:now:)``)
    /// and deletes what it fetched; nothing when none waits.
    private func parkOneItem() async throws {
        for stage in parkingStages {
            guard let item = try await ledger.parkingCandidates(at: stage, limit: 1, holder: owner).first else { continue }
            let reason = "parked to make room for waiting work"
            let parked = try await ledger.park(item: item, at: stage, reason: reason, now: now)
            guard !parked.isEmpty else { continue }
            try await ledger.sync()
            try await ArtifactRemover(workspace: workspace, ledger: ledger).delete(parked, budget: budget)
            let bytes = parked.reduce(Int64(0)) { $0 + $1.bytes }
            let line = "what \(stages[0].name) fetched (\(ByteSize.format(bytes))) \(reason) while the item waits for \(stages[stage].name); it is fetched again after"
            DatasetLog(dataset: item, folder: workspace.logsFolder).log(.warning, step: "budget", line)
            onLine("\(item): \(line)")
            return
        }
    }

    /// Exponential back-off with jitter: about 0.5 s, 1 s, 2 s, … up to 30 s.
    static func backoff(attempt: Int) -> Double {
        let base = min(30, 0.5 * pow(2, Double(max(0, attempt - 1))))
        return base * Double.random(in: 0.75...1.25)
    }

    /// A failure's code, sentence and whether a retry may help.
    static func describe(_ error: any Error) -> (code: String, message: String, transient: Bool) {
        if error is CancellationError { return ("run.cancelled", "interrupted", true) }
        if let error = (error as? any SluiceError) ?? FormatError.fileSystem(error) {
            return (error.codeText, error.description, error.isTransient)
        }
        return ("internal", "an unexpected error: \(String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " "))", false)
    }

    // MARK: Progress

    /// Per-stage counts and rates, for the live display.
    public func progress() async throws -> [StageProgress] {
        let seconds = Date().timeIntervalSince(started)
        let (finished, active) = state.withLock { ($0.finished, $0.active) }
        var progress: [StageProgress] = []
        for index in stages.indices {
            let mine = active.filter { $0.key.stage == index }.values
            progress.append(
                StageProgress(
                    name: stages[index].name, counts: try await ledger.counts(stage: index),
                    finishedThisRun: finished[index] ?? 0, seconds: seconds,
                    activeBytes: mine.reduce(0) { $0 + $1.done }, activeExpected: mine.reduce(0) { $0 + ($1.expected ?? 0) }))
        }
        return progress
    }
}
