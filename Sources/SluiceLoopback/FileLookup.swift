/// The outcome of looking up a requested path under the server's root.
enum FileLookup: Sendable {
    /// A regular file, now open.
    case found(OpenedFile)
    /// Nothing exists at the path.
    case missing
    /// Something exists but is not a regular file (a directory, a socket, ...).
    case notRegularFile
}
