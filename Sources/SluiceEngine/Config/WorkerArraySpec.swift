/// Workers `sluice run` submits as one SLURM job array (`workers:` in the pipeline file, or
/// `--workers slurm:N`): each array task runs `sluice worker` on the pipeline.
public struct WorkerArraySpec: Sendable, Hashable {
    /// How many array tasks (workers).
    public var count: Int
    /// What each array task asks for.
    public var resources: SlurmResources

    /// Workers as a job array of `count` tasks, with the resources given.
    public init(count: Int, resources: SlurmResources = SlurmResources()) {
        self.count = count
        self.resources = resources
    }

    /// Parses `workers: {slurm: N, partition: …, time: …, cpus: …, mem: …, gpus: …, options: […]}`.
    init(_ node: ConfigNode) throws {
        let keys = try node.mapping(known: ["slurm"] + SlurmResources.keys)
        guard let count = keys["slurm"] else { throw node.error(.missingKey, "workers needs 'slurm': the number of workers to submit as a job array, e.g. slurm: 8") }
        self.init(count: try count.int(atLeast: 1), resources: try SlurmResources(keys))
    }
}
