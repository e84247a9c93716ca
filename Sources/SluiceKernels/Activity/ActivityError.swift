public import SluiceFormats

/// An activity computation that cannot proceed, with a stable code and one clear sentence.
public struct ActivityError: SluiceError {
    /// A stable, machine-readable code, e.g. `activity.bad-lambda`.
    public let code: String
    /// What is wrong, in one sentence.
    public let message: String

    /// An error with the stable `code` and the sentence `message`.
    public init(code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
