/// What one area (or the whole workspace, ``DiskSample/total``) holds now, as the runners'
/// latest disk samples say: for a dashboard's gauges and the metrics of a process that only
/// reads the ledger.
public struct DiskUse: Sendable, Hashable, Codable {
    /// The area's name, or `total`.
    public var area: String
    /// Bytes committed, and promised to writers at work.
    public var committed: Int64
    public var reserved: Int64
    /// Its quota (the budget for `total`); nil when it has none.
    public var quota: Int64?

    /// One area's use.
    public init(area: String, committed: Int64, reserved: Int64, quota: Int64?) {
        self.area = area
        self.committed = committed
        self.reserved = reserved
        self.quota = quota
    }

    /// Seconds a runner's last sample may lag the newest one and still count: runners sample
    /// every five seconds, so an older one is from a runner that has stopped.
    public static let freshness = 15.0

    /// Each area's use from `samples`: every runner's latest sample of it, among those taken
    /// within ``freshness`` of the newest. Each runner's books start from what the workspace
    /// held when it started, so what is committed is the largest they report; what is reserved
    /// is each runner's own, so it is their sum. In the order of ``Area/allCases``, `total` first.
    public static func current(from samples: [DiskSample]) -> [DiskUse] {
        guard let newest = samples.map(\.time).max() else { return [] }
        var latest: [String: [String: DiskSample]] = [:]
        for sample in samples where sample.time >= newest - freshness {
            if let known = latest[sample.area]?[sample.worker], known.time > sample.time { continue }
            latest[sample.area, default: [:]][sample.worker] = sample
        }
        return ([DiskSample.total] + Area.allCases.map(\.rawValue)).compactMap { area in
            guard let mine = latest[area]?.values, !mine.isEmpty else { return nil }
            return DiskUse(
                area: area, committed: mine.map(\.committed).max() ?? 0, reserved: mine.reduce(0) { $0 + $1.reserved },
                quota: mine.max { $0.time < $1.time }?.quota)
        }
    }
}
