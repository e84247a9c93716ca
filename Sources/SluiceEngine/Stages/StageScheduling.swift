/// How the runner hands a stage its work — the only thing about a stage, besides its protocol,
/// that the runner looks at.
public enum StageScheduling: Sendable, Equatable {
    /// One item at a time (per worker).
    case perItem
    /// Items together, up to `count` of them, or fewer once their weights reach `enough` (a
    /// weight is what ``Stage/weight(ofInput:item:)`` says, or else the item's declared size);
    /// a batch waits for `count` items or enough weight unless no more can arrive, or its first
    /// item has been ready for `maxWait` seconds.
    case batch(count: Int, enough: Double?, maxWait: Double? = nil)
    /// Once per group of items (the items' `group:`; items without one form the group `all`),
    /// after every member has reached the stage or failed before it.
    case perGroup
    /// Once per group of items, **before** its members go on: the group's task may run at once
    /// (it reads no member's output: a reference index, a download of the group's reference),
    /// and each member's later stages wait until it is done — the preparation step users put
    /// in front of quantification. Members pass the stage without a task of their own, and later
    /// stages read what the stage before it made (``StageUnit/groupOutputs`` names its folder).
    case perGroupFirst
    /// Once for the whole run, after every item has reached the stage or failed before it.
    case barrier

    /// Whether one run of the stage covers several items under one task of its own.
    public var isCollective: Bool { self == .perGroup || self == .perGroupFirst || self == .barrier }

    /// Whether the stage has one task per group (``perGroup``, ``perGroupFirst``).
    public var isPerGroup: Bool { self == .perGroup || self == .perGroupFirst }
}
