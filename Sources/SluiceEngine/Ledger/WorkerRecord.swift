/// A process that claims tasks from a ledger: `sluice run` (its own only worker) or one of many
/// `sluice worker`s sharing a run.
public struct WorkerRecord: Sendable, Hashable, Codable {
    /// The owner its leases carry: host, process and a random suffix.
    public var id: String
    /// The host it runs on.
    public var host: String
    /// Its process id on that host.
    public var pid: Int
    /// Whether it is a `sluice run` (which holds the workspace lock: at most one is alive) rather
    /// than a `sluice worker`.
    public var isRun: Bool

    /// A worker with its identity, host, process id and kind.
    public init(id: String, host: String, pid: Int, isRun: Bool = false) {
        self.id = id
        self.host = host
        self.pid = pid
        self.isRun = isRun
    }
}
