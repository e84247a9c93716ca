/// What a SLURM job asks for — partition, time, CPUs, memory, GPUs and any other `sbatch`
/// options — as a pipeline file writes it (`workers:` and `slurm` stages alike).
public struct SlurmResources: Sendable, Hashable {
    /// `--partition`, if set.
    public var partition: String?
    /// `--time` (SLURM's own notation, e.g. `2:00:00`), if set.
    public var time: String?
    /// `--cpus-per-task`, if set.
    public var cpus: Int?
    /// `--mem` (SLURM's own notation, e.g. `8G`), if set.
    public var memory: String?
    /// `--gpus`, if set (a count, or SLURM's `type:count`).
    public var gpus: String?
    /// More `sbatch` options, each one argument (e.g. `--account=lab`, `--qos=long`).
    public var options: [String]

    /// The keys a pipeline file may use for them.
    public static let keys = ["partition", "time", "cpus", "mem", "gpus", "options"]

    /// Resources as given.
    public init(partition: String? = nil, time: String? = nil, cpus: Int? = nil, memory: String? = nil, gpus: String? = nil, options: [String] = []) {
        self.partition = partition
        self.time = time
        self.cpus = cpus
        self.memory = memory
        self.gpus = gpus
        self.options = options
    }

    /// Reads ``keys`` from an entry's keys (the others are the caller's).
    public init(_ keys: [String: ConfigNode]) throws {
        self.init(
            partition: try keys["partition"]?.string(), time: try keys["time"]?.string(), cpus: try keys["cpus"]?.int(atLeast: 1),
            memory: try keys["mem"]?.string(), gpus: try keys["gpus"]?.string(), options: try keys["options"]?.strings() ?? [])
    }

    /// The `sbatch` options these resources ask for.
    public var sbatchOptions: [String] {
        var options: [String] = []
        if let partition { options.append("--partition=\(partition)") }
        if let time { options.append("--time=\(time)") }
        if let cpus { options.append("--cpus-per-task=\(cpus)") }
        if let memory { options.append("--mem=\(memory)") }
        if let gpus { options.append("--gpus=\(gpus)") }
        return options + self.options
    }
}
