/// A catalog entry of the pipeline file's `items:`, not resolved yet: its items go in front of
/// the item at `position` of ``PipelineConfig/items`` (at the end when it is past the last).
public struct PendingCatalog: Sendable {
    /// Where in the item list its items go.
    public var position: Int
    /// The catalog.
    public var catalog: any ItemCatalog

    /// A catalog whose items go in front of item `position`.
    public init(position: Int, catalog: any ItemCatalog) {
        self.position = position
        self.catalog = catalog
    }
}
