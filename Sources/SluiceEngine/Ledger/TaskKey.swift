/// One stage of one item (or of one group, for `per: group` stages).
public struct TaskKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var item: String
    public var stage: Int

    public init(item: String, stage: Int) {
        self.item = item
        self.stage = stage
    }

    public var description: String { "\(item)#\(stage)" }
}
