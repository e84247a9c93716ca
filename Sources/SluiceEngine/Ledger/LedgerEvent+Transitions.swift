import Foundation

/// The events every ledger records for its transitions, worded once so that SQLite and
/// PostgreSQL ledgers tell a run's story in the same words.
extension LedgerEvent {
    static func registered(_ added: Int, now: Double) -> LedgerEvent {
        LedgerEvent(time: now, item: nil, stage: nil, kind: "registered", message: "\(added) new item(s)")
    }

    static func reclaimed(_ task: TaskKey, now: Double) -> LedgerEvent {
        LedgerEvent(time: now, item: task.item, stage: task.stage, kind: "reclaimed", message: "an interrupted attempt returns to the queue")
    }

    static func claimed(_ task: TaskKey, attempt: Int, members: Int? = nil, now: Double) -> LedgerEvent {
        let message = members.map { "attempt \(attempt) with \($0) member(s)" } ?? claimedMessage(attempt: String(attempt))
        return LedgerEvent(time: now, item: task.item, stage: task.stage, kind: "claimed", message: message)
    }

    static func done(_ task: TaskKey, attempt: Int, artifacts: Int, bytes: Int64, now: Double) -> LedgerEvent {
        LedgerEvent(time: now, item: task.item, stage: task.stage, kind: "done", message: doneMessage(attempt: String(attempt), artifacts: artifacts, bytes: bytes))
    }

    /// What a claim's event says; a ledger that numbers the attempt itself (PostgreSQL's claim, in
    /// SQL) gets the words with ``attemptPlaceholder`` for the number.
    static func claimedMessage(attempt: String) -> String { "attempt \(attempt)" }

    /// What a completion's event says (see ``claimedMessage(attempt:)``).
    static func doneMessage(attempt: String, artifacts: Int, bytes: Int64) -> String { "attempt \(attempt): \(artifacts) artifact(s), \(bytes) bytes" }

    /// Stands for the attempt's number in words a ledger completes itself.
    static let attemptPlaceholder = "{attempt}"

    static func retrying(_ task: TaskKey, _ failure: TaskFailure, at retryAt: Double, now: Double) -> LedgerEvent {
        LedgerEvent(
            time: now, item: task.item, stage: task.stage, kind: "retrying",
            message: "\(failure.message) (again in \(String(format: "%.1f", retryAt - now)) s)")
    }

    static func failed(_ task: TaskKey, _ failure: TaskFailure, now: Double) -> LedgerEvent {
        LedgerEvent(time: now, item: task.item, stage: task.stage, kind: "failed", message: failure.message)
    }

    static func released(_ task: TaskKey, now: Double) -> LedgerEvent {
        LedgerEvent(time: now, item: task.item, stage: task.stage, kind: "released", message: "given back at stop")
    }

    static func evicted(_ item: String, files: Int, bytes: Int64, reason: String, now: Double) -> LedgerEvent {
        LedgerEvent(time: now, item: item, stage: nil, kind: "evicted", message: "\(files) input file(s), \(bytes) bytes of a failed item: \(reason)")
    }

    static func parked(_ item: String, at stage: Int, files: Int, bytes: Int64, reason: String, now: Double) -> LedgerEvent {
        LedgerEvent(
            time: now, item: item, stage: stage, kind: "parked",
            message: "\(files) fetched file(s), \(bytes) bytes, released while it waits here: \(reason); it is fetched again once this stage is done")
    }

    static func refetched(_ item: String, bytes: Int64, now: Double) -> LedgerEvent {
        LedgerEvent(time: now, item: item, stage: 0, kind: "refetched", message: refetchedMessage(bytes: String(bytes)))
    }

    /// What a fetch of a parked item says (PostgreSQL's completion writes it in SQL, with `%s`).
    static func refetchedMessage(bytes: String) -> String { "fetched again after it was parked: \(bytes) bytes" }

    /// The bytes a `refetched` event says were fetched again.
    public static func refetchedBytes(_ event: LedgerEvent) -> Int64? {
        guard event.kind == "refetched" else { return nil }
        return event.message.split(separator: " ").dropLast().last.flatMap { Int64($0) }
    }

    static func restarted(_ item: String, from stage: Int, now: Double) -> LedgerEvent {
        LedgerEvent(
            time: now, item: item, stage: stage, kind: "restarted",
            message: "its files in a worker's node-local scratch were lost with that worker: it goes again from this stage, on any worker")
    }

    static func retried(_ item: String, stage: Int?, evicted: Bool, now: Double) -> LedgerEvent {
        LedgerEvent(
            time: now, item: item, stage: evicted ? 0 : stage, kind: "retry",
            message: evicted ? "queued again by sluice retry; its inputs were evicted, so it is fetched again" : "queued again by sluice retry")
    }
}
