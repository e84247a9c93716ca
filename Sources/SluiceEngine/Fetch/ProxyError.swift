public import SluiceFormats

/// A proxy setting Sluice cannot use: one sentence naming the variable.
public struct ProxyError: SluiceError {
    /// `fetch.proxy`, the one code.
    public var code: String { "fetch.proxy" }
    /// What is wrong.
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}
