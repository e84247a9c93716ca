/// The folders of a workspace that hold data, each with its own share of the disk budget.
public enum Area: String, CaseIterable, Sendable, Codable {
    /// Fetched inputs, deleted once the outputs made from them are committed.
    case raw
    /// Files passed between the steps of one stage (preprocess chunks).
    case interim
    /// Results that stay.
    case output
    /// State that stages keep across batches.
    case checkpoints
    /// Reference data and other files shared by items (indexes, vocabularies).
    case cache

    /// The areas a worker's node-local scratch holds (``NodeScratch``); the others are shared.
    public static let nodeLocal: Set<Area> = [.raw, .interim]
}
