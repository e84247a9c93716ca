/// Where one stage of one item stands.
///
/// `waiting` (the previous stage is not done) → `pending` → `running` → `done`, or `failed`
/// (permanent), or `retrying` (transient; pending again after a back-off). When a stage fails,
/// the item's later stages become `blocked`.
public enum TaskState: String, Sendable, Codable, CaseIterable {
    case waiting, pending, running, retrying, done, failed, blocked

    /// States from which the task may still run.
    public var isActive: Bool { [.waiting, .pending, .running, .retrying].contains(self) }
}
