/// One entry of a search index: a name, what it names, a line about it (an alias's gene, a cell
/// type's parent, the genes a CytoSig name stands for) and the files it was found in.
public struct SearchEntity: Sendable, Hashable, Codable {
    public var name: String
    public var type: SearchEntityType
    /// What the index knows of it, e.g. `alias of IL2`, `parent: T cell`; may be empty.
    public var detail: String
    /// The files it was found in, `; `-separated, as given to `sluice index build`.
    public var sources: String

    public init(name: String, type: SearchEntityType, detail: String = "", sources: String) {
        self.name = name
        self.type = type
        self.detail = detail
        self.sources = sources
    }
}
