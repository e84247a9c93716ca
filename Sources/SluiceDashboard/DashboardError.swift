public import SluiceFormats

/// A dashboard that cannot start, or a request it refuses.
public struct DashboardError: SluiceError {
    /// The stable code (`dashboard.*`) scripts can match.
    public enum Code: String, Sendable, CustomStringConvertible {
        /// A non-loopback address without `--token-file`.
        case needsToken = "dashboard.needs-token"
        /// The token file is missing, unreadable, or too short to be a secret.
        case badToken = "dashboard.bad-token"
        /// The address or port cannot be listened on (in use, not this machine's).
        case cannotListen = "dashboard.cannot-listen"
        /// A submission that names no usable item.
        case badSubmission = "dashboard.bad-submission"
        /// A submission to a pipeline or workspace that cannot take one.
        case cannotSubmit = "dashboard.cannot-submit"
        /// A request for an item the run does not have.
        case unknownItem = "dashboard.unknown-item"
        /// Stop, retry or a submission to a dashboard started without `--allow-control`.
        case readOnly = "dashboard.read-only"

        /// The code as scripts match it.
        public var description: String { rawValue }
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// One sentence saying what went wrong and what to do.
    public let message: String

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// The HTTP status a request that failed with it gets.
    var status: Int {
        switch code {
        case .badSubmission: 400
        case .unknownItem: 404
        case .readOnly: 403
        case .cannotSubmit: 409
        case .needsToken, .badToken, .cannotListen: 500
        }
    }
}
