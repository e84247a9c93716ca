public import SluiceFormats

/// A workspace that cannot be used, or a path the engine was about to use that would leave the
/// workspace or cannot name a file.
public struct WorkspaceError: SluiceError {
    /// Stable code: `workspace.path-escapes`, `workspace.not-a-folder`.
    public let code: String
    /// One sentence naming the path and what is wrong.
    public let message: String

    package init(code: String = "workspace.path-escapes", _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
