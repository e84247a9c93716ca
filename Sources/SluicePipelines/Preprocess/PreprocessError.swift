public import SluiceFormats

/// A preprocess failure that is not about one file's format (a missing step output, an
/// unreadable folder): a stable code and one sentence.
public struct PreprocessError: SluiceError {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
