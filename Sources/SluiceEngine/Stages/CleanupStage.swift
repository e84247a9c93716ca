/// The `cleanup` stage: deletes every file of an item except those in the areas it keeps (by
/// default `output`), through the ledger's record of what the item's stages wrote.
public struct CleanupStage: ConfigurableStage {
    /// The key of the kind in a pipeline file (`- cleanup: {…}`).
    public static let kind = "cleanup"
    /// The common part of the stage's declaration.
    public let header: StageHeader
    /// Areas whose files for the item stay.
    public let keep: Set<Area>

    /// Parses the entry's `keep` option: an area or a list of areas (default `output`).
    public init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        let keys = try options.keys(known: ["keep"])
        keep = try keys["keep"].map { value in Set(try (value.sequence ?? [value]).map { try $0.area() }) } ?? [.output]
    }

    /// Nil: the stage writes nothing.
    public var outputArea: Area? { nil }
    /// False: the stage deletes files itself, through the ledger's record of them.
    public var consumesInputs: Bool { false }
    /// Nil: the stage has no outputs.
    public func outputFolder(item: String, isGroup: Bool) -> String? { nil }
    /// Zero: the stage needs no disk.
    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 { 0 }

    /// Deletes each unit's item's recorded files, except those in the areas in `keep`.
    public func run(_ units: [StageUnit], context: StageContext) async throws {
        // What goes is recorded in the ledger (`deleted` events), not repeated in the log.
        for unit in units { _ = try await context.removeFiles(of: unit.item.name, keeping: keep) }
    }
}
