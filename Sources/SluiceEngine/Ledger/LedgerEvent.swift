/// One line of the append-only event log (`sluice events`).
public struct LedgerEvent: Sendable, Hashable, Codable {
    /// The event's place in the log, assigned by the ledger (0 before it is recorded).
    public var sequence: Int64
    /// Seconds since 1970.
    public var time: Double
    /// The item (or group) it concerns; nil for an event of the whole run.
    public var item: String?
    /// The index of the stage it concerns, if any.
    public var stage: Int?
    /// e.g. `claimed`, `done`, `failed`, `retrying`, `released`, `run-started`.
    public var kind: String
    /// One readable line saying what happened.
    public var message: String

    /// An event from its fields; the ledger assigns `sequence` when it records it.
    public init(sequence: Int64 = 0, time: Double, item: String?, stage: Int?, kind: String, message: String) {
        self.sequence = sequence
        self.time = time
        self.item = item
        self.stage = stage
        self.kind = kind
        self.message = message
    }
}
