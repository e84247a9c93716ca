public import SluiceFormats

/// A stage failure with a stable code, one clear sentence, and whether a retry may help.
public struct StageError: SluiceError {
    /// A stable code for the failure, e.g. `fetch.checksum`.
    public let code: String
    /// One clear sentence saying what went wrong.
    public let message: String
    /// Network errors, timeouts and 5xx answers are transient; bad data is not.
    public let isTransient: Bool

    /// A failure with `code` and `message`; `transient` when a retry may help.
    public init(code: String, _ message: String, transient: Bool = false) {
        self.code = code
        self.message = message
        self.isTransient = transient
    }

    /// The message.
    public var description: String { message }
}
