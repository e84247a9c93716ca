/// How the runner hands a stage its work — the only thing about a stage, besides its protocol,
/// that the runner looks at.
public enum StageScheduling: Sendable, Equatable {
    /// One item at a time (per worker).
    case perItem
    /// Items together, up to `count` of them, or fewer once their input bytes reach `bytes`;
    /// a batch waits for `count` items unless no more can arrive.
    case batch(count: Int, bytes: Int64?)
    /// Once per group of items (the items' `group:`; items without one form the group `all`),
    /// after every member has reached the stage or failed before it.
    case perGroup
    /// Once for the whole run, after every item has reached the stage or failed before it.
    case barrier

    /// Whether one run of the stage covers several items under one task of its own.
    public var isCollective: Bool { self == .perGroup || self == .barrier }
}
