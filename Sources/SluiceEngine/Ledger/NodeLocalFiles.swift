/// The SQL both ledgers use for the files that node-local scratch holds (``Area/nodeLocal``):
/// those of a pinned item are on its holder's node, outside the quota the workers share.
enum NodeLocalFiles {
    /// An `artifacts` row in a node-local area.
    static let area = "area IN (\(Area.nodeLocal.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")))"
    /// An `artifacts` row of a pinned item in a node-local area.
    static let onANode = "(\(area) AND item IN (SELECT id FROM items WHERE holder IS NOT NULL))"
}
