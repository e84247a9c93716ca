/// One line of the append-only event log (`sluice events`).
public struct LedgerEvent: Sendable, Hashable, Codable {
    public var sequence: Int64
    /// Seconds since 1970.
    public var time: Double
    public var item: String?
    public var stage: Int?
    /// e.g. `claimed`, `done`, `failed`, `retrying`, `released`, `run-started`.
    public var kind: String
    public var message: String

    public init(sequence: Int64 = 0, time: Double, item: String?, stage: Int?, kind: String, message: String) {
        self.sequence = sequence
        self.time = time
        self.item = item
        self.stage = stage
        self.kind = kind
        self.message = message
    }
}
