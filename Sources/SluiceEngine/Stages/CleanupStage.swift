/// The `cleanup` stage: deletes every file of an item except those in the areas it keeps (by
/// default `output`), through the ledger's record of what the item's stages wrote.
public struct CleanupStage: ConfigurableStage {
    public static let kind = "cleanup"
    public let header: StageHeader
    /// Areas whose files for the item stay.
    public let keep: Set<Area>

    public init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        let keys = try options.keys(known: ["keep"])
        keep = try keys["keep"].map { value in Set(try (value.sequence ?? [value]).map { try $0.area() }) } ?? [.output]
    }

    public var outputArea: Area? { nil }
    public var consumesInputs: Bool { false }
    public func outputFolder(item: String, isGroup: Bool) -> String? { nil }
    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 { 0 }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        // What goes is recorded in the ledger (`deleted` events), not repeated in the log.
        for unit in units { _ = try await context.removeFiles(of: unit.item.name, keeping: keep) }
    }
}
