/// How a runner takes part in its run.
public enum RunnerRole: Sendable, Equatable {
    /// `sluice run`: holds the workspace lock, so at start every task still marked running
    /// belongs to a dead run (unless other workers are alive) and the workspace is recovered.
    /// With `wait`, it keeps looking for new items (a dashboard's submissions) when the run has
    /// nothing left to do, until it is stopped.
    case run(wait: Bool)
    /// `sluice worker`: one of any number of processes, on one node or many, sharing the run
    /// through its ledger; takes back only tasks whose lease expired, and reserves every byte
    /// against the quota all of them share. With `wait`, it keeps polling for new items when
    /// the run has nothing left to do.
    case worker(wait: Bool)

    /// Whether this is `sluice run` (which holds the workspace lock).
    public var isRun: Bool {
        if case .run = self { return true }
        return false
    }

    /// Whether it waits for new items once every known one is finished.
    public var waitsForItems: Bool {
        switch self {
        case .run(let wait), .worker(let wait): wait
        }
    }
}
