public import SluiceFormats

/// A ledger that cannot be used: unreadable, or made by a different pipeline.
public struct LedgerError: SluiceError {
    /// The stable code (`ledger.*`) scripts can match.
    public enum Code: String, Sendable, CustomStringConvertible {
        case unavailable = "ledger.unavailable"
        case pipelineChanged = "ledger.pipeline-changed"
        case busy = "ledger.busy"
        case unknownItem = "ledger.unknown-item"
        case leaseLost = "ledger.lease-lost"
        /// Nothing answered at the ledger's server (down, restarting, or the wrong address).
        case unreachable = "ledger.unreachable"

        /// The code as scripts match it, e.g. `ledger.busy`.
        public var description: String { rawValue }
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// One sentence saying what went wrong.
    public let message: String
    /// A busy ledger may be free a moment later.
    public var isTransient: Bool { code == .busy }

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A worker tried to complete a task it no longer runs: its lease expired (no heartbeat
    /// reached the ledger in time) and the task went back to the queue, perhaps to another worker.
    static func leaseLost(_ task: TaskKey) -> LedgerError {
        LedgerError(
            .leaseLost,
            "\(task.item) stage \(task.stage) is no longer this worker's: its lease expired and the task went back to the queue; its outputs are left to the attempt that holds it now")
    }

    /// The message.
    public var description: String { message }
}
