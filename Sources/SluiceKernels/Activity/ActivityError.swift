public import SluiceFormats

/// An activity computation that cannot proceed, with a stable code and one clear sentence.
public struct ActivityError: SluiceError {
    public let code: String
    public let message: String

    public init(code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
