/// One step every item goes through (DESIGN.md): the engine claims work from the ledger,
/// reserves disk, prepares `.partial` output folders, calls `run`, and commits what it wrote —
/// fsync, rename into place, record in the ledger — before deleting the stage's inputs.
public protocol Stage: Sendable {
    /// The declaration from the pipeline file (name, kind, concurrency, retries, options).
    var spec: StageSpec { get }

    /// The area the stage writes to; nil when it writes nothing.
    var outputArea: Area? { get }

    /// Where an item's (or a group's) outputs go, relative to the workspace root.
    func outputFolder(item: String, isGroup: Bool) -> String?

    /// Bytes to reserve before the stage runs for an item whose input holds `inputBytes`.
    func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64

    /// True when the stage's inputs (in `raw` or `interim`) may be deleted once it has committed.
    var consumesInputs: Bool { get }

    /// Does the work of one claimed batch: for each unit, reads `input` and writes into
    /// `partialOutput`. Throws for the whole batch; errors that are `StageError` say whether a
    /// retry may help.
    func run(_ units: [StageUnit], context: StageContext) async throws
}
