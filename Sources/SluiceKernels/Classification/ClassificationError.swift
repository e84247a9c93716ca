public import SluiceFormats

/// A classifier that cannot be fitted or scored, with a stable code and one clear sentence.
public struct ClassificationError: SluiceError {
    /// A stable, machine-readable code, e.g. `classify.one-class`.
    public let code: String
    /// What is wrong, in one sentence.
    public let message: String

    public init(code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
