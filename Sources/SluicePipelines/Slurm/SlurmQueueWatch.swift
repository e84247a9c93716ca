import Foundation
import SluiceEngine

/// What SLURM's queue holds, looked at once per poll interval however many jobs wait on it:
/// every job a stage follows asks here, and at most one `squeue` runs per interval (with no
/// partition filter, so a job moved to another partition is still found).
actor SlurmQueueWatch {
    private let client: SlurmClient
    private let interval: Duration
    private var last: (time: ContinuousClock.Instant, jobs: [SlurmJob])?
    private var looking: (started: ContinuousClock.Instant, task: Task<[SlurmJob], any Error>)?

    init(client: SlurmClient, interval: Double) {
        self.client = client
        self.interval = .milliseconds(Int(interval * 1000))
    }

    /// The queue as of at most one interval ago, and from a look that began after `since` (a
    /// job submitted then is in it): the last look's, the one under way, or a new one.
    func jobs(since: ContinuousClock.Instant? = nil) async throws -> [SlurmJob] {
        while true {
            if let last, ContinuousClock.now - last.time < interval, since.map({ last.time > $0 }) ?? true { return last.jobs }
            if let looking {
                if since.map({ looking.started > $0 }) ?? true { return try await looking.task.value }
                // A look that began before `since` may miss the job: let it end, then look again.
                _ = try? await looking.task.value
                continue
            }
            return try await look().value
        }
    }

    /// Starts one `squeue`; when it ends, its answer becomes the last look (before its task
    /// returns, so whoever waits on it finds the watch up to date).
    private func look() -> Task<[SlurmJob], any Error> {
        let started = ContinuousClock.now
        let task = Task { [client] in
            do {
                let jobs = try await client.queue()
                self.ended(started, jobs)
                return jobs
            } catch {
                self.ended(started, nil)
                throw error
            }
        }
        looking = (started, task)
        return task
    }

    private func ended(_ started: ContinuousClock.Instant, _ jobs: [SlurmJob]?) {
        if looking?.started == started { looking = nil }
        if let jobs, last.map({ $0.time < started }) ?? true { last = (started, jobs) }
    }

    /// The job named `name` while it is in the queue and may still run (as of a look after
    /// `since`); nil once it left.
    func liveJob(named name: String, since: ContinuousClock.Instant? = nil) async throws -> SlurmJob? {
        try await jobs(since: since).first { $0.name == name && $0.isLive }
    }
}
