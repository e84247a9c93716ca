/// A ledger that cannot be used: unreadable, or made by a different pipeline.
public struct LedgerError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case unavailable = "ledger.unavailable"
        case pipelineChanged = "ledger.pipeline-changed"
        case busy = "ledger.busy"
        case unknownItem = "ledger.unknown-item"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code.rawValue)]" }
}
