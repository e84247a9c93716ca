import Foundation
import Synchronization

/// What one batch of work holds on the ledger's books: its reservation per area, recorded on the
/// batch's last task (the last to commit, so the batch's bytes stay counted until every output
/// is recorded as an artifact).
///
/// With a quota shared by workers, every change is made only when the quota admits it, waiting
/// (a growing pause, up to a second) until other workers' work frees room. A batch asks at once
/// for its outputs and the scratch space its stage will need, so that two batches on two
/// workers never each hold half of what they need while waiting for the other half; and a
/// batch that waits longer than ``patience`` gives up: while other work runs, with
/// ``BudgetError/Code/sharedQuotaFull``, so that the runner gives its task back and what it held
/// frees others; when nothing else runs (nothing could ever free room), with
/// ``BudgetError/Code/neverFits``, and the item fails as it would in one process.
final class QuotaHolding: Sendable {
    private let ledger: any Ledger
    /// The batch's tasks; the books are kept on the last.
    private let tasks: [TaskKey]
    private var task: TaskKey { tasks[tasks.count - 1] }
    /// Nil when one process owns the workspace: the batch's reservation is then only recorded,
    /// for `sluice status` (its growth and scratch are not: each write grows the ledger's log,
    /// which the budget counts).
    private let quota: SharedQuota?
    /// The ledger and logs' bytes and files, kept free beside the data.
    private let overhead: @Sendable () async -> (bytes: Int64, files: Int)
    private let books = Mutex(Books())

    /// Seconds a batch waits for the shared quota before it gives its task back.
    static let patience = 20.0

    private struct Books {
        /// What the ledger holds for the batch, per area.
        var held: [Area: Int64] = [:]
        /// Of `held[.interim]`, what was asked for as scratch, and what of it is in use.
        var scratch: Int64 = 0
        var scratchInUse: Int64 = 0
        /// The files and folders the batch's outputs will make, and where.
        var files: (count: Int, area: Area)?
        /// Files and folders a download keeps free for its items' next stage, as its headroom
        /// bytes: so that fetched items cannot fill a bound on files with no room left to
        /// process them.
        var headroomFiles = 0
    }

    /// Areas in this worker's node-local scratch: bounded by its own books, never on the ledger's.
    private let nodeLocal: Set<Area>
    /// Told `true` when the batch starts to wait for the shared quota, `false` when it stops
    /// (the runner then evicts failed items' inputs, as it does for its own books).
    private let waiting: @Sendable (Bool) -> Void

    init(
        ledger: any Ledger, tasks: [TaskKey], nodeLocal: Set<Area> = [], quota: SharedQuota?,
        overhead: @escaping @Sendable () async -> (bytes: Int64, files: Int),
        waiting: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        precondition(!tasks.isEmpty, "a batch has at least one task")
        self.nodeLocal = nodeLocal
        self.waiting = waiting
        self.ledger = ledger
        self.tasks = tasks
        self.quota = quota
        self.overhead = overhead
    }

    /// Whether the quota is shared with other workers (and so waited for).
    var isShared: Bool { quota != nil }

    /// Holds the batch's outputs, `bytes` and `files` files and folders in `area`, and — where
    /// workers share the quota — `scratch` bytes in `interim/` for its stage's scratch files, in
    /// one step, leaving `headroom` bytes and `headroomFiles` files free too.
    func open(_ bytes: Int64, files: Int = 0, in area: Area, scratch: Int64, headroom: Int64, headroomFiles: Int = 0) async throws {
        books.withLock { books in
            if files > 0, !nodeLocal.contains(area) { books.files = (files, area) }
            books.headroomFiles = headroomFiles
        }
        var amounts = [area: bytes]
        if isShared, scratch > 0 { amounts[.interim, default: 0] += scratch }
        try await add(amounts, headroom: headroom)
        if isShared { books.withLock { $0.scratch = scratch } }
    }

    /// Adds `bytes` in `area` (a download that learnt its size), leaving `headroom` free too.
    func grow(_ bytes: Int64, in area: Area, headroom: Int64) async throws {
        try await add([area: bytes], headroom: headroom)
    }

    /// Takes `bytes` of scratch space: from what `open` asked for when it is free, else more.
    func takeScratch(_ bytes: Int64) async throws {
        let shortfall = books.withLock { max(0, $0.scratchInUse + bytes - $0.scratch) }
        if shortfall > 0 {
            try await add([.interim: shortfall], headroom: 0)
            books.withLock { $0.scratch += shortfall }
        }
        books.withLock { $0.scratchInUse += bytes }
    }

    /// Returns `bytes` of scratch space (its files were removed); the batch keeps holding it.
    func returnScratch(_ bytes: Int64) {
        books.withLock { $0.scratchInUse = max(0, $0.scratchInUse - bytes) }
    }

    /// Adds `amounts` to what the batch holds; with a shared quota, waits until it admits them,
    /// for up to ``patience`` seconds.
    private func add(_ amounts: [Area: Int64], headroom: Int64) async throws {
        let wanted = amounts.filter { $0.value > 0 && !nodeLocal.contains($0.key) }
        guard !wanted.isEmpty else { return }
        let totals = books.withLock { books in wanted.reduce(into: [Area: Int64]()) { $0[$1.key] = books.held[$1.key, default: 0] + $1.value } }
        let deadline = ContinuousClock.now + .seconds(Self.patience)
        var pause = Duration.milliseconds(50)
        var waited = false
        defer { if waited { waiting(false) } }
        let (files, headroomFiles) = books.withLock { ($0.files, $0.headroomFiles) }
        while true {
            var quota = quota
            if quota != nil {
                let kept = await overhead()
                quota!.keepFree = kept.bytes + headroom
                quota!.keepFreeFiles = kept.files + headroomFiles
            }
            if try await ledger.reserve(task, totals, files: files, quota: quota, now: Date().timeIntervalSince1970) {
                books.withLock { books in for (area, bytes) in totals { books.held[area] = bytes } }
                return
            }
            guard ContinuousClock.now < deadline else {
                let asked = wanted.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\(ByteSize.format($0.value)) in \($0.key.rawValue)" }
                let batch = Set(tasks)
                let othersRun = try await ledger.tasks(in: .running, limit: batch.count + 1).contains { !batch.contains(TaskKey(item: $0.item, stage: $0.stage)) }
                guard othersRun else {
                    throw BudgetError(
                        code: .neverFits,
                        message:
                            "waited \(Int(Self.patience)) s for \(asked.joined(separator: " and ")) with no other work running that could free room: the committed outputs fill the budget; raise it"
                    )
                }
                throw BudgetError(
                    code: .sharedQuotaFull,
                    message:
                        "waited \(Int(Self.patience)) s for \(asked.joined(separator: " and ")) in the quota the workers share; the task is given back so that what it held lets other work finish first"
                )
            }
            if !waited {
                waited = true
                waiting(true)
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(1))
        }
    }
}
