/// One unit of work as the pipeline file declares it: a name, where its data comes from, and
/// what is known about it in advance.
public struct ItemSpec: Sendable, Hashable, Codable {
    /// The sanitized, distinct name used for the item's folders.
    public var name: String
    /// URLs (`http`, `https`, `file`) or absolute paths, fetched into the item's `raw/` folder.
    public var sources: [String]
    /// Bytes in all, when known in advance (a manifest's `size` column).
    public var size: Int64?
    /// The checksum of the fetched file (single-source items only).
    public var checksum: ExpectedChecksum?
    /// Items of one group meet in `per: group` command stages (e.g. samples of one species).
    public var group: String?
    /// A manifest's other columns (e.g. `pages`, `organism`), by column name; nil when none.
    public var metadata: [String: String]?

    /// An item from its fields; only the name and sources are required.
    public init(
        name: String, sources: [String], size: Int64? = nil, checksum: ExpectedChecksum? = nil, group: String? = nil,
        metadata: [String: String]? = nil
    ) {
        self.name = name
        self.sources = sources
        self.size = size
        self.checksum = checksum
        self.group = group
        self.metadata = metadata
    }
}
