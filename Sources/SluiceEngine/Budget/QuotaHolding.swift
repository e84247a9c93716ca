import Foundation
import Synchronization

/// What one batch of work holds on the ledger's books: its reservation per area, recorded on the
/// batch's last task (the last to commit, so the batch's bytes stay counted until every output
/// is recorded as an artifact). With a shared quota, every change is made only when the quota
/// admits it, waiting (a growing pause, up to a second) until other workers' work frees room.
final class QuotaHolding: Sendable {
    private let ledger: any Ledger
    private let task: TaskKey
    /// Nil when one process owns the workspace: the batch's reservation is then only recorded,
    /// for `sluice status` (its growth and scratch are not: each write grows the ledger's log,
    /// which the budget counts).
    private let quota: SharedQuota?
    /// The ledger and logs' bytes, kept free beside the data.
    private let overhead: @Sendable () async -> Int64
    private let held = Mutex<[Area: Int64]>([:])

    init(ledger: any Ledger, task: TaskKey, quota: SharedQuota?, overhead: @escaping @Sendable () async -> Int64) {
        self.ledger = ledger
        self.task = task
        self.quota = quota
        self.overhead = overhead
    }

    /// Whether the quota is shared with other workers (and so waited for).
    var isShared: Bool { quota != nil }

    /// Adds `bytes` in `area`, leaving `headroom` free as well; waits until the shared quota
    /// admits them. Throws `CancellationError` when cancelled while waiting.
    func add(_ bytes: Int64, in area: Area, headroom: Int64 = 0) async throws {
        guard bytes > 0 else { return }
        let total = held.withLock { $0[area, default: 0] } + bytes
        var pause = Duration.milliseconds(50)
        while true {
            var quota = quota
            if quota != nil { quota!.keepFree = await overhead() + headroom }
            if try await ledger.reserve(task, bytes: total, in: area, quota: quota, now: Date().timeIntervalSince1970) {
                held.withLock { $0[area] = total }
                return
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(1))
        }
    }

    /// Gives back `bytes` in `area` (scratch space that was removed).
    func remove(_ bytes: Int64, in area: Area) async throws {
        let total = max(0, held.withLock { $0[area, default: 0] } - bytes)
        _ = try await ledger.reserve(task, bytes: total, in: area, quota: nil, now: Date().timeIntervalSince1970)
        held.withLock { $0[area] = total }
    }
}
