/// What happens to the inputs (`raw/`, `interim/`) of an item that failed for good — the
/// pipeline file's `on_failure:`.
public enum FailurePolicy: String, Sendable, CaseIterable {
    /// Kept until `sluice clean`, whatever they cost (may stall a run at its budget).
    case keep
    /// Kept so that `sluice retry` can reuse them while space allows; evicted, oldest failure
    /// first, whenever a reservation would otherwise have to wait (the default).
    case evict
    /// Deleted as soon as the item fails.
    case delete
}
