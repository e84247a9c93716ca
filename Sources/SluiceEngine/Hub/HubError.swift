public import SluiceFormats

/// A publication to the Hugging Face Hub that could not be made: one sentence naming the
/// repository and what went wrong — the Hub's own message when it refused something. Never
/// holds the token.
public struct HubError: SluiceError {
    /// The stable code (`hub.*`) scripts can match.
    public enum Code: String, Sendable, CustomStringConvertible {
        /// The Hub did not answer usefully after every retry (network, 5xx, 429, cut bodies).
        case unreachable = "hub.unreachable"
        /// The Hub refused the token (HTTP 401 or 403).
        case unauthorized = "hub.unauthorized"
        /// The Hub refused a request (another 4xx), with its message.
        case rejected = "hub.rejected"
        /// The Hub answered with something its API does not document.
        case badResponse = "hub.bad-response"
        /// No token: neither a token file nor `HF_TOKEN` nor a saved login.
        case noToken = "hub.no-token"
        /// A repository id that is not `OWNER/NAME`.
        case badRepository = "hub.bad-repo-id"
        /// The folder to publish holds no file.
        case nothing = "hub.nothing"

        /// The code as scripts match it, e.g. `hub.rejected`.
        public var description: String { rawValue }
    }

    /// What is wrong, as a stable code.
    public let code: Code
    /// One sentence saying what is wrong.
    public let message: String

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Only an unreachable Hub may answer later.
    public var isTransient: Bool { code == .unreachable }

    public var description: String { message }
}
