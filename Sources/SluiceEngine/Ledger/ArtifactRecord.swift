/// A committed output: a file or folder under the workspace, its size and checksum.
public struct ArtifactRecord: Sendable, Hashable, Codable {
    /// `live` while needed, `released` once its consumer committed (to be deleted), `deleted` after.
    public enum State: String, Sendable, Codable { case live, released, deleted }

    /// The task that wrote it.
    public var task: TaskKey
    /// Path relative to the workspace root.
    public var path: String
    /// The workspace area it lies in.
    public var area: Area
    /// Its size in bytes.
    public var bytes: Int64
    /// SHA-256 of a single file's content; nil for folders.
    public var sha256: String?
    /// Whether it is still needed, waiting for deletion, or gone.
    public var state: State

    /// A record of the output at `path` (relative to the workspace root), live by default.
    public init(task: TaskKey, path: String, area: Area, bytes: Int64, sha256: String? = nil, state: State = .live) {
        self.task = task
        self.path = path
        self.area = area
        self.bytes = bytes
        self.sha256 = sha256
        self.state = state
    }
}
