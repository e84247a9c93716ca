extension ItemSpec {
    /// The group every item belongs to in `per: group` stages when it names none, and the name
    /// the barrier's outputs are filed under.
    public static let defaultGroup = "all"
    /// The `grp` the ledger records for the barrier's task: every item is its member.
    static let everyItem = "*"

    /// The group an item belongs to in per-group stages.
    public var groupName: String { group ?? Self.defaultGroup }

    /// The ledger id of a group's (or the barrier's) own task: `:` never occurs in item names.
    static func collectiveID(_ group: String) -> String { "group:\(group)" }

    /// Whether a ledger id is a group's (or the barrier's) task rather than an item.
    static func isCollectiveID(_ id: String) -> Bool { id.hasPrefix("group:") }

    /// The name a group's (or the barrier's) outputs are filed under: the group's name, `all`
    /// for the barrier.
    static func collectiveName(ofTask id: String) -> String {
        let group = String(id.dropFirst("group:".count))
        return group == everyItem ? defaultGroup : group
    }
}
