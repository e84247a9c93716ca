/// An error raised by ``LoopbackServer`` while starting, serving or shutting down.
public struct LoopbackServerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in words.
    public let message: String

    /// Creates an error carrying `message`.
    public init(_ message: String) {
        self.message = message
    }

    /// The message, so the error prints readably.
    public var description: String { "LoopbackServerError: \(message)" }
}
