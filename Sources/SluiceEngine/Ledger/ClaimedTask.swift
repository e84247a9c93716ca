/// A task handed to one worker under a lease: the item (or group) and the attempt number.
public struct ClaimedTask: Sendable, Hashable, Codable {
    /// The task claimed: its item (or group) and stage.
    public var key: TaskKey
    /// The item's declaration; for a group task, `name` is the group's id and `sources` is empty.
    public var item: ItemSpec
    /// For a group task, the member items that reached this stage, in item order.
    public var members: [ItemSpec]
    /// 1 for the first attempt.
    public var attempt: Int

    /// A claimed task; `members` is empty unless it is a group's.
    public init(key: TaskKey, item: ItemSpec, members: [ItemSpec] = [], attempt: Int) {
        self.key = key
        self.item = item
        self.members = members
        self.attempt = attempt
    }
}
