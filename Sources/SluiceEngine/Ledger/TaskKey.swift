/// One stage of one item (or of one group, for `per: group` stages).
public struct TaskKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The item's name, or the group's id.
    public var item: String
    /// The stage's index in the pipeline, from 0.
    public var stage: Int

    /// The key of `item`'s task at `stage`.
    public init(item: String, stage: Int) {
        self.item = item
        self.stage = stage
    }

    /// `item#stage`.
    public var description: String { "\(item)#\(stage)" }
}
