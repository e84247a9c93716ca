public import SluiceFormats

/// A ledger that cannot be used: unreadable, or made by a different pipeline.
public struct LedgerError: SluiceError {
    /// The stable code (`ledger.*`) scripts can match.
    public enum Code: String, Sendable, CustomStringConvertible {
        case unavailable = "ledger.unavailable"
        case pipelineChanged = "ledger.pipeline-changed"
        case busy = "ledger.busy"
        case unknownItem = "ledger.unknown-item"

        public var description: String { rawValue }
    }

    public let code: Code
    public let message: String
    /// A busy ledger may be free a moment later.
    public var isTransient: Bool { code == .busy }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
