/// One row of `sluice status`: a stage of an item, its state and its last error.
public struct TaskStatus: Sendable, Hashable, Codable {
    /// The item's name, or the group's id.
    public var item: String
    /// The stage's index in the pipeline, from 0.
    public var stage: Int
    /// Where the task stands.
    public var state: TaskState
    /// Attempts counted so far (one given back on a graceful stop does not count).
    public var attempts: Int
    /// The last failure, if any.
    public var failure: TaskFailure?
    /// Seconds since 1970 when the last attempt started and finished.
    public var started: Double?
    /// Seconds since 1970 when an attempt last finished, if one has.
    public var finished: Double?
    /// Bytes of the outputs it committed.
    public var bytes: Int64?
    /// Whether the task is a group's (or the barrier's) rather than one item's.
    public var isGroup: Bool
    /// While it runs: the bytes the disk budget granted it when it started, and their area.
    public var reserved: Int64?
    /// The area of `reserved`; nil when the task holds no reservation.
    public var reservedArea: Area?
}
