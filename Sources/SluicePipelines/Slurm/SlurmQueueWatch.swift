import Foundation
import SluiceEngine

/// What SLURM's queue holds, looked at once per poll interval however many jobs wait on it:
/// every job a stage follows asks here, and at most one `squeue` runs per interval (with no
/// partition filter, so a job moved to another partition is still found).
///
/// A controller that does not answer (restarted, overloaded, failed over) is asked again every
/// interval for up to ``patience``: the jobs run on meanwhile, and whoever follows them waits
/// rather than taking a silent queue for jobs that ended. Past that, the error is thrown.
package actor SlurmQueueWatch {
    private let query: @Sendable () async throws -> [SlurmJob]
    private let interval: Duration
    /// How long `squeue` may fail before the error reaches the jobs that wait on the queue.
    private let patience: Duration
    private var last: (time: ContinuousClock.Instant, jobs: [SlurmJob])?
    private var looking: (started: ContinuousClock.Instant, task: Task<[SlurmJob], any Error>)?
    /// Since when every look has failed; nil after one that answered.
    private var failingSince: ContinuousClock.Instant?

    init(client: SlurmClient, interval: Double, patience: Double = 600) {
        self.init(interval: interval, patience: patience) { try await client.queue() }
    }

    /// A watch that looks with `query` (tests stand in for `squeue` with it).
    package init(interval: Double, patience: Double, query: @escaping @Sendable () async throws -> [SlurmJob]) {
        self.query = query
        self.interval = .milliseconds(Int(interval * 1000))
        self.patience = .milliseconds(Int(patience * 1000))
    }

    /// The queue as of at most one interval ago, and from a look that began after `since` (a
    /// job submitted then is in it): the last look's, the one under way, or a new one.
    package func jobs(since: ContinuousClock.Instant? = nil) async throws -> [SlurmJob] {
        while true {
            if let last, ContinuousClock.now - last.time < interval, since.map({ last.time > $0 }) ?? true { return last.jobs }
            if let looking {
                if since.map({ looking.started > $0 }) ?? true, let jobs = try await answer(looking.task) { return jobs }
                // A look that began before `since` may miss the job: let it end, then look again.
                _ = try? await looking.task.value
                continue
            }
            if let jobs = try await answer(look()) { return jobs }
        }
    }

    /// What a look found; nil when it failed within ``patience`` (after a pause of one interval,
    /// so that the caller looks again).
    private func answer(_ look: Task<[SlurmJob], any Error>) async throws -> [SlurmJob]? {
        do {
            return try await look.value
        } catch {
            let since = failingSince ?? .now
            failingSince = since
            guard ContinuousClock.now - since < patience else { throw error }
            try await Task.sleep(for: interval)
            return nil
        }
    }

    /// Starts one `squeue`; when it ends, its answer becomes the last look (before its task
    /// returns, so whoever waits on it finds the watch up to date).
    private func look() -> Task<[SlurmJob], any Error> {
        let started = ContinuousClock.now
        let task = Task { [query] in
            do {
                let jobs = try await query()
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
        if jobs != nil { failingSince = nil }
        if let jobs, last.map({ $0.time < started }) ?? true { last = (started, jobs) }
    }

    /// The job named `name` while it is in the queue and may still run (as of a look after
    /// `since`); nil once it left.
    func liveJob(named name: String, since: ContinuousClock.Instant? = nil) async throws -> SlurmJob? {
        try await jobs(since: since).first { $0.name == name && $0.isLive }
    }
}
