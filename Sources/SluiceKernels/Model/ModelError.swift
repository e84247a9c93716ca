public import SluiceFormats

/// A model update that cannot be made: one sentence.
public struct ModelError: SluiceError {
    public var code: String { "model" }
    public let message: String

    public init(message: String) { self.message = message }

    public var description: String { message }
}
