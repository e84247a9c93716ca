/// One job (or one task of a job array) as `squeue` lists it.
public struct SlurmJob: Sendable, Hashable {
    /// The job's id: `123`, or `123_4` for task 4 of array 123.
    public var id: String
    /// The array's job id (`123`), or the job's own when it is not in an array.
    public var arrayID: String
    /// The job's name (`--job-name`).
    public var name: String
    /// SLURM's state: `PENDING`, `RUNNING`, `COMPLETING`, `CANCELLED`, …
    public var state: String

    /// A job's row.
    public init(id: String, arrayID: String, name: String, state: String) {
        self.id = id
        self.arrayID = arrayID
        self.name = name
        self.state = state
    }

    /// Whether the job may still run (or is running): it is in the queue and not ending.
    public var isLive: Bool { ["PENDING", "CONFIGURING", "RUNNING", "REQUEUED", "RESIZING", "SUSPENDED"].contains(state) }
}
