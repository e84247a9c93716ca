/// What one area held at one moment, as one worker's budget saw it: recorded in the ledger every
/// few seconds while a run goes, for the report's and the dashboard's disk plots.
public struct DiskSample: Sendable, Hashable, Codable {
    /// Seconds since 1970.
    public var time: Double
    /// The worker that took it (``WorkerRecord/id``).
    public var worker: String
    /// The area (``Area/rawValue``), or `total` for the whole workspace with the ledger and logs.
    public var area: String
    /// Bytes committed, and promised to writers at work.
    public var committed: Int64
    public var reserved: Int64
    /// The area's quota (or the total budget) then; nil when it has none.
    public var quota: Int64?

    /// A sample with every value given.
    public init(time: Double, worker: String, area: String, committed: Int64, reserved: Int64, quota: Int64?) {
        self.time = time
        self.worker = worker
        self.area = area
        self.committed = committed
        self.reserved = reserved
        self.quota = quota
    }

    /// The area as `total` names the whole workspace.
    public static let total = "total"
}
