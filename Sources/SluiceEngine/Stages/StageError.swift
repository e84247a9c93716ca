public import SluiceFormats

/// A stage failure with a stable code, one clear sentence, and whether a retry may help.
public struct StageError: SluiceError {
    public let code: String
    public let message: String
    /// Network errors, timeouts and 5xx answers are transient; bad data is not.
    public let isTransient: Bool

    public init(code: String, _ message: String, transient: Bool = false) {
        self.code = code
        self.message = message
        self.isTransient = transient
    }

    public var description: String { message }
}
