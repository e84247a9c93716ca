import Foundation

/// A pipeline, loaded and checked: where its workspace is, how much disk it may use, its items
/// and its stages. Every problem in the file is found by `load` before anything runs.
public struct PipelineConfig: Sendable {
    /// The pipeline file (absolute).
    public var file: String
    /// The workspace folder (absolute).
    public var workspace: String
    /// How much disk the workspace may use.
    public var budget: BudgetLimits
    /// The items to push through the stages, in file order.
    public var items: [ItemSpec]
    /// The stages, built by the factories of their kinds.
    public var stages: [any Stage]
    /// What happens to the inputs of items that failed for good.
    public var onFailure: FailurePolicy
    /// Where the run's ledger lives (`ledger:`; default: `sluice.db` in the workspace).
    public var ledger: LedgerLocation
    /// Workers `sluice run` submits as a SLURM job array (`workers:`); nil: it works alone.
    public var workers: WorkerArraySpec?

    /// A pipeline from its parts, already checked; by default failed items' inputs are evicted and the
    /// ledger lives in the workspace.
    public init(
        file: String, workspace: String, budget: BudgetLimits, items: [ItemSpec], stages: [any Stage],
        onFailure: FailurePolicy = .evict, ledger: LedgerLocation = .workspace, workers: WorkerArraySpec? = nil
    ) {
        self.workers = workers
        self.onFailure = onFailure
        self.ledger = ledger
        self.file = file
        self.workspace = workspace
        self.budget = budget
        self.items = items
        self.stages = stages
    }

    /// Reads and checks the pipeline file at `path`, building its stages with the kinds in
    /// `registry`; relative paths inside it are relative to its folder.
    public static func load(_ path: String, registry: StageRegistry) throws -> PipelineConfig {
        let file = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ConfigError(.unreadable, "cannot read the pipeline file", file: file)
        }
        return try PipelineConfigParser(file: file, registry: registry).parse(text)
    }

    /// The stage a name refers to.
    public func stage(named name: String) -> (any Stage)? { stages.first { $0.name == name } }
}
