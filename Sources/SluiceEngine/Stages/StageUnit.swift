/// One item's (or group's) share of a claimed batch, with absolute paths.
public struct StageUnit: Sendable {
    /// The claimed task this unit is.
    public var task: ClaimedTask
    /// The previous stage's output folder for this item (nil for the first stage).
    public var input: String?
    /// For a group task: each member's input folder, in item order.
    public var memberInputs: [String]
    /// The folder to write into; the engine renames it to `output` on success.
    public var partialOutput: String?
    /// Where the outputs will live once committed.
    public var output: String?
    /// The item's log folder (`logs/<item>/`).
    public var logFolder: String
    /// The item's log.
    public var log: DatasetLog
    /// For one item's task: what each ``StageScheduling/perGroupFirst`` stage before this one
    /// made for the item's group, by stage name (absolute folders).
    public var groupOutputs: [String: String] = [:]
    /// For one item's task: the item's output folder of each stage this one reads through its
    /// chain of inputs (its input's stage, that stage's input's, …), by stage name (absolute
    /// folders). They were committed before this stage's task existed; a stage that deletes its
    /// inputs may have removed them since.
    public var earlierOutputs: [String: String] = [:]

    /// The task's item.
    public var item: ItemSpec { task.item }

    /// Whether the unit is a group's (or the barrier's) task rather than one item's.
    public var isCollective: Bool { ItemSpec.isCollectiveID(item.name) }

    /// The item's name, or the group's (`all` for the barrier) for a collective task.
    public var name: String { isCollective ? ItemSpec.collectiveName(ofTask: item.name) : item.name }

    /// The items the unit works for: its own, or a collective task's members.
    public var itemNames: [String] { isCollective ? task.members.map(\.name) : [item.name] }
}
