/// How many bytes a workspace may hold: in all, per area, and how full its filesystem may get
/// before fetching pauses.
public struct BudgetLimits: Sendable, Equatable {
    /// The hard bound on the allocated bytes under the workspace (what `du` counts).
    public var total: Int64
    /// Per-area bounds; an area that is not listed is bounded by `total` only.
    public var areas: [Area: Int64]
    /// The bound on files and folders under the workspace (inodes); nil: none.
    public var files: Int?
    /// Fetching pauses when the filesystem is this full (fraction of its size) …
    public var filesystemHigh: Double
    /// … and resumes below this.
    public var filesystemLow: Double

    /// Limits from their fields; by default no bound on files, pausing at 90 % full and resuming below 80 %.
    public init(total: Int64, areas: [Area: Int64] = [:], files: Int? = nil, filesystemHigh: Double = 0.90, filesystemLow: Double = 0.80) {
        self.total = total
        self.areas = areas
        self.files = files
        self.filesystemHigh = filesystemHigh
        self.filesystemLow = filesystemLow
    }

    /// The bound on one area.
    public func limit(_ area: Area) -> Int64 { min(areas[area] ?? total, total) }
}
