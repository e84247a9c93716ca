/// What a publication to the Hub did: the repository, the commit it made (nil when everything
/// was there already), and how many files it sent or found unchanged.
public struct HubPublication: Sendable {
    /// The repository's page, e.g. `https://huggingface.co/datasets/OWNER/NAME`.
    public var url: String
    /// The commit's page; nil when nothing changed.
    public var commit: String?
    /// Files sent (in Git or LFS).
    public var uploaded: Int
    /// Their bytes.
    public var uploadedBytes: Int64
    /// Files whose SHA-256 (or Git blob id) the repository already holds at their path.
    public var unchanged: Int
}
