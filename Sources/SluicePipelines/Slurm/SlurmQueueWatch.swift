import Foundation
import SluiceEngine

/// What SLURM's queue holds, looked at once per poll interval however many jobs wait on it:
/// every job a stage follows asks here, and at most one `squeue` runs per interval (with no
/// partition filter, so a job moved to another partition is still found).
actor SlurmQueueWatch {
    private let client: SlurmClient
    private let interval: Duration
    private var last: (time: ContinuousClock.Instant, jobs: [SlurmJob])?
    private var looking: Task<[SlurmJob], any Error>?
    /// `squeue` calls made so far.
    private(set) var looks = 0

    init(client: SlurmClient, interval: Double) {
        self.client = client
        self.interval = .milliseconds(Int(interval * 1000))
    }

    /// The queue as of at most one interval ago, and not before `since` (a job submitted then
    /// is in it): the last look's, or a new one.
    func jobs(since: ContinuousClock.Instant? = nil) async throws -> [SlurmJob] {
        if let last, ContinuousClock.now - last.time < interval, since.map({ last.time > $0 }) ?? true { return last.jobs }
        if let looking { return try await looking.value }
        let task = Task { [client] in try await client.queue() }
        looking = task
        defer { looking = nil }
        looks += 1
        let started = ContinuousClock.now
        let jobs = try await task.value
        last = (started, jobs)
        return jobs
    }

    /// The job named `name` while it is in the queue and may still run (as of a look after
    /// `since`); nil once it left.
    func liveJob(named name: String, since: ContinuousClock.Instant? = nil) async throws -> SlurmJob? {
        try await jobs(since: since).first { $0.name == name && $0.isLive }
    }
}
