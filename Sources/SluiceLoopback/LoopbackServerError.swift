public import SluiceFormats

/// An error raised by ``LoopbackServer`` while starting, serving or shutting down.
public struct LoopbackServerError: SluiceError {
    /// `loopback.failure`.
    public let code = "loopback.failure"
    /// What went wrong, in words.
    public let message: String

    /// Creates an error carrying `message`.
    public init(_ message: String) {
        self.message = message
    }

    /// The message, so the error prints readably.
    public var description: String { "the loopback server: \(message)" }
}
