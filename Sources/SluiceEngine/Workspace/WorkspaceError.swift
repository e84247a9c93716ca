/// A path the engine was about to use that would leave the workspace, or cannot name a file.
public struct WorkspaceError: Error, CustomStringConvertible, Sendable {
    /// Stable code: `workspace.path-escapes`.
    public let code: String
    public let message: String

    init(_ message: String) {
        self.code = "workspace.path-escapes"
        self.message = message
    }

    public var description: String { "\(message) [\(code)]" }
}
