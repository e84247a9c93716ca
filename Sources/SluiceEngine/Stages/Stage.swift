/// One step items go through (DESIGN.md). The engine knows a stage only through this protocol:
/// it claims work from the ledger as ``scheduling`` says, reserves disk, prepares `.partial`
/// output folders, calls ``run(_:context:)``, and commits what it wrote — fsync, rename into
/// place, record in the ledger — before deleting the stage's inputs.
///
/// A kind that pipeline files can name also conforms to ``ConfigurableStage``.
public protocol Stage: Sendable {
    /// The common part of the stage's declaration: kind, name, concurrency, retries, `from`.
    var header: StageHeader { get }

    /// How the runner hands the stage its work (default: one item at a time).
    var scheduling: StageScheduling { get }

    /// Whether the stage brings items into the workspace from their sources: it must come
    /// first, reads no earlier stage, reserves each item's declared size, and keeps its partial
    /// output across retries and stops so that the next attempt resumes it (default: false).
    var isSource: Bool { get }

    /// Whether an attempt's work goes on without the worker that started it (a SLURM job): its
    /// partial output is named alike on every worker and kept when the attempt is interrupted —
    /// a crash, a lost worker — so that the next attempt, on any worker, can adopt the work
    /// rather than start it again (default: false).
    var adoptsInterruptedAttempts: Bool { get }

    /// Whether an attempt records its progress in its partial output (checkpoints), so that the
    /// next attempt goes on from there: the partial output is named alike on every worker and
    /// kept when an attempt is interrupted — a stop, a crash, a lost worker — or fails with an
    /// error that a retry may get past (default: false).
    var resumesInterruptedAttempts: Bool { get }

    /// The area the stage writes to; nil when it writes nothing.
    var outputArea: Area? { get }

    /// Where an item's (or a group's) outputs go, relative to the workspace root.
    func outputFolder(item: String, isGroup: Bool) -> String?

    /// Bytes to reserve before the stage runs for an item whose input holds `inputBytes`.
    func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64

    /// Scratch bytes the stage expects to reserve while it runs (``StageContext/withScratch(_:folder:_:)``)
    /// for an item whose input holds `inputBytes`: kept free while the item is fetched, beside
    /// `estimatedBytes` (default: 0).
    func scratchBytes(inputBytes: Int64, item: ItemSpec) -> Int64

    /// What an item's input weighs for a stage that batches by weight (pages, cells, bytes, a
    /// manifest column), read from the committed input folder; nil when the stage does not
    /// (default), and the item's declared size is its weight.
    func weight(ofInput folder: String, item: ItemSpec) async throws -> Double?

    /// What the stage stores in the ledger's database for a unit that ran well (an `ingest`
    /// stage's records): written in the transaction that completes the task (default: none).
    func records(for unit: StageUnit) throws -> [IngestRecord]

    /// True when the stage's inputs (in `raw` or `interim`) may be deleted once it has committed.
    var consumesInputs: Bool { get }

    /// Does the work of one claimed batch: for each unit, reads `input` and writes into
    /// `partialOutput`. Throws for the whole batch; errors that are `StageError` say whether a
    /// retry may help.
    func run(_ units: [StageUnit], context: StageContext) async throws

    /// Releases what the stage holds open (connections); called once when the run is over.
    func shutdown() async
}

extension Stage {
    /// One item at a time.
    public var scheduling: StageScheduling { .perItem }
    /// False: most stages read an earlier stage's outputs.
    public var isSource: Bool { false }
    /// False: an attempt's work ends with its worker.
    public var adoptsInterruptedAttempts: Bool { false }
    /// False: an attempt starts from nothing.
    public var resumesInterruptedAttempts: Bool { false }
    /// Zero: no scratch space.
    public func scratchBytes(inputBytes: Int64, item: ItemSpec) -> Int64 { 0 }
    /// Whether the stage's partial output outlives an interrupted attempt, named alike on every
    /// worker: a download's or a checkpointed task's (resumed), or a job's that goes on without
    /// its worker (adopted).
    public var keepsPartialOutput: Bool { isSource || adoptsInterruptedAttempts || resumesInterruptedAttempts }
    /// Nil: the stage does not batch by weight.
    public func weight(ofInput folder: String, item: ItemSpec) async throws -> Double? { nil }
    /// None.
    public func records(for unit: StageUnit) throws -> [IngestRecord] { [] }
    /// Does nothing.
    public func shutdown() async {}

    /// The stage's name (``StageHeader/name``).
    public var name: String { header.name }
}
