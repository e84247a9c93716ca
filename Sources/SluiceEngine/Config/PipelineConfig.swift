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
    /// The `cellxgene:` entries of `items:`, until ``ItemResolver`` puts their items in `items`
    /// (the session does so when it opens the ledger).
    public var catalogs: [PendingCatalog] = []
    /// The stages, built by the factories of their kinds.
    public var stages: [any Stage]
    /// What happens to the inputs of items that failed for good.
    public var onFailure: FailurePolicy
    /// Where the run's ledger lives (`ledger:`; default: `sluice.db` in the workspace).
    public var ledger: LedgerLocation
    /// Workers `sluice run` submits as a SLURM job array (`workers:`); nil: it works alone.
    public var workers: WorkerArraySpec?
    /// The node-local scratch for `raw/` and `interim/` (`node:`); nil: they are in the workspace.
    public var node: NodeScratch?

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

    /// Throws unless every stage that reads several items' outputs at once (a group's or the
    /// barrier's) reads a shared area: with node-local scratch, the files of `raw/` and
    /// `interim/` are on the node of the worker that made them.
    public func checkScratch() throws {
        guard node != nil else { return }
        for (index, stage) in stages.enumerated() where stage.scheduling == .perGroup || stage.scheduling == .barrier {
            if let input = inputStage(of: index), let area = stages[input].outputArea, Area.nodeLocal.contains(area) {
                throw ConfigError(
                    .badValue,
                    "stage '\(stage.name)' reads the \(area.rawValue)/ files of many items, which node-local scratch keeps on the nodes that made them; read a stage that writes to output",
                    file: file, line: stage.header.line)
            }
        }
    }

    /// The stage whose outputs stage `index` reads: the one it names with `from:`, else the
    /// nearest earlier stage that writes outputs for items (a ``StageScheduling/perGroupFirst``
    /// stage writes its groups', which ``groupFirstStages(before:)`` name); nil for the first.
    func inputStage(of index: Int) -> Int? {
        if let name = stages[index].header.from { return stages.firstIndex { $0.name == name } }
        return stride(from: index - 1, through: 0, by: -1).first { stages[$0].outputArea != nil && stages[$0].scheduling != .perGroupFirst }
    }

    /// The ``StageScheduling/perGroupFirst`` stages before stage `index`.
    func groupFirstStages(before index: Int) -> [Int] {
        stages.indices.filter { $0 < index && stages[$0].scheduling == .perGroupFirst }
    }

    /// The stage a name refers to.
    public func stage(named name: String) -> (any Stage)? { stages.first { $0.name == name } }
}
