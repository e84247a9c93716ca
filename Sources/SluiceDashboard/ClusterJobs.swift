import Foundation
import SluiceEngine

/// The cluster job each task runs in, from the ledger's `slurm-submitted` and `slurm-adopted`
/// events ("job ID (NAME) for ITEM, ITEM…"): read once each — a cursor follows the event
/// log — so that the dashboard's snapshot each second costs the new events only.
actor ClusterJobs {
    /// The events that name a task's job.
    static let kinds: Set<String> = ["slurm-submitted", "slurm-adopted"]

    private var after: Int64 = 0
    /// Job ids by stage index, then item.
    private var jobs: [Int: [String: String]] = [:]

    /// The job ids known now, by stage index and item, after reading the events not read yet.
    func current(from ledger: any Ledger) async throws -> [Int: [String: String]] {
        while true {
            let events = try await ledger.events(after: after, limit: 1000)
            for event in events where Self.kinds.contains(event.kind) {
                guard let stage = event.stage, let (id, items) = Self.parse(event) else { continue }
                for item in items { jobs[stage, default: [:]][item] = id }
            }
            guard let last = events.last else { return jobs }
            after = last.sequence
        }
    }

    /// The job id and items an event names: its item, or those after " for " in its message.
    static func parse(_ event: LedgerEvent) -> (id: String, items: [String])? {
        let words = event.message.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, words[0] == "job" else { return nil }
        let id = String(words[1])
        if let item = event.item { return (id, [item]) }
        guard let range = event.message.range(of: " for ", options: .backwards) else { return nil }
        return (id, event.message[range.upperBound...].split(separator: ", ").map(String.init))
    }
}
