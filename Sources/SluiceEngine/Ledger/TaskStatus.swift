/// One row of `sluice status`: a stage of an item, its state and its last error.
public struct TaskStatus: Sendable, Hashable, Codable {
    public var item: String
    public var stage: Int
    public var state: TaskState
    public var attempts: Int
    public var failure: TaskFailure?
    /// Seconds since 1970 when the last attempt started and finished.
    public var started: Double?
    public var finished: Double?
    /// Bytes of the outputs it committed.
    public var bytes: Int64?
    public var isGroup: Bool
    /// While it runs: the bytes the disk budget granted it when it started, and their area.
    public var reserved: Int64?
    public var reservedArea: Area?
}
