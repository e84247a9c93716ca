/// The `cleanup` stage: deletes everything of an item except the areas it keeps (by default
/// `output`). The engine runs it itself, since it works on the ledger's artifacts rather than
/// on files it reads and writes; `run` is therefore never called.
public struct CleanupStage: Stage {
    public let spec: StageSpec

    public init(spec: StageSpec) { self.spec = spec }

    public var outputArea: Area? { nil }
    public var consumesInputs: Bool { false }
    public func outputFolder(item: String, isGroup: Bool) -> String? { nil }
    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 { 0 }
    public func run(_ units: [StageUnit], context: StageContext) async throws {}
}
