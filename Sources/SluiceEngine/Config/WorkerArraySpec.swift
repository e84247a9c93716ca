/// Workers `sluice run` submits as one SLURM job array (`workers:` in the pipeline file, or
/// `--workers slurm:N`): each array task runs `sluice worker` on the pipeline.
public struct WorkerArraySpec: Sendable, Hashable {
    /// How many array tasks (workers).
    public var count: Int
    /// `--partition`, if set.
    public var partition: String?
    /// `--time` (SLURM's own notation, e.g. `2:00:00`), if set.
    public var time: String?
    /// `--cpus-per-task`, if set.
    public var cpus: Int?
    /// `--mem` (SLURM's own notation, e.g. `8G`), if set.
    public var memory: String?
    /// More `sbatch` options, each one argument (e.g. `--account=lab`, `--gres=gpu:1`).
    public var options: [String]

    /// Workers as a job array of `count` tasks, with the resources given.
    public init(count: Int, partition: String? = nil, time: String? = nil, cpus: Int? = nil, memory: String? = nil, options: [String] = []) {
        self.count = count
        self.partition = partition
        self.time = time
        self.cpus = cpus
        self.memory = memory
        self.options = options
    }

    /// Parses `workers: {slurm: N, partition: …, time: …, cpus: …, mem: …, options: […]}`.
    init(_ node: ConfigNode) throws {
        let keys = try node.mapping(known: ["slurm", "partition", "time", "cpus", "mem", "options"])
        guard let count = keys["slurm"] else { throw node.error(.missingKey, "workers needs 'slurm': the number of workers to submit as a job array, e.g. slurm: 8") }
        self.init(
            count: try count.int(atLeast: 1), partition: try keys["partition"]?.string(), time: try keys["time"]?.string(),
            cpus: try keys["cpus"]?.int(atLeast: 1), memory: try keys["mem"]?.string(), options: try keys["options"]?.strings() ?? [])
    }

    /// The `sbatch` options these resources ask for (the array itself is added by the submitter).
    public var sbatchOptions: [String] {
        var options: [String] = []
        if let partition { options.append("--partition=\(partition)") }
        if let time { options.append("--time=\(time)") }
        if let cpus { options.append("--cpus-per-task=\(cpus)") }
        if let memory { options.append("--mem=\(memory)") }
        return options + self.options
    }
}
