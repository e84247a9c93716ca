import Foundation

/// What a running stage may use: the workspace, more disk when it learns its real size (a
/// download's Content-Length) — reserved before the first byte is written — and the removal of
/// an item's recorded files.
public struct StageContext: Sendable {
    /// The workspace the run uses.
    public let workspace: Workspace
    private let budget: DiskBudget
    private let ledger: any Ledger
    private let reservation: Reservation
    /// The batch's reservation on the ledger's books (and the shared quota, when workers share one).
    private let holding: QuotaHolding
    private let priority: Int
    private let producer: Bool
    /// The item room is promised to (``DiskBudget``): for a producer, its later stages'; for a
    /// later stage, its scratch space; nil for a batch of several.
    private let promise: String?
    /// For a producer: the room its item's later stages will need, given its size.
    private let headroom: @Sendable (Int64) -> Int64
    /// Reports (bytes done, bytes expected or nil) for progress displays.
    public let progress: @Sendable (Int64, Int64?) -> Void
    /// What the stage reports for the batch's trace rows.
    private let measurements: TaskMeasurements

    init(
        workspace: Workspace, budget: DiskBudget, ledger: any Ledger, reservation: Reservation, holding: QuotaHolding, priority: Int,
        producer: Bool, promise: String? = nil, headroom: @escaping @Sendable (Int64) -> Int64, progress: @escaping @Sendable (Int64, Int64?) -> Void,
        measurements: TaskMeasurements = TaskMeasurements()
    ) {
        self.measurements = measurements
        self.holding = holding
        self.headroom = headroom
        self.workspace = workspace
        self.budget = budget
        self.ledger = ledger
        self.reservation = reservation
        self.priority = priority
        self.producer = producer
        self.promise = promise
        self.progress = progress
    }

    /// Records what the program the stage ran for this batch used (its trace rows show it).
    public func record(_ usage: ProcessUsage) { measurements.record(usage) }

    /// Records the id a cluster's scheduler gave the batch's job (the trace's `native_id`).
    public func record(nativeID: String) { measurements.record(nativeID: nativeID) }

    /// Makes sure the stage holds room for at least `bytes` of content in its area (allocated
    /// on disk: whole blocks, ``DiskUsage/allocation(forLength:)``), waiting for space if needed.
    public func ensureReserved(_ bytes: Int64) async throws {
        let bytes = DiskUsage.allocation(forLength: bytes)
        let held = await budget.bytes(of: reservation)
        guard bytes > held else { return }
        let extra = try await budget.reserve(
            bytes - held, in: reservation.area, priority: priority,
            headroom: producer ? headroom(bytes) : 0, producer: producer, promising: producer ? promise : nil, holder: reservation)
        await budget.merge(extra, into: reservation)
        // Growth is on the ledger's books only where other workers need to see it.
        if holding.isShared { try await holding.grow(bytes - held, in: reservation.area, headroom: producer ? headroom(bytes) : 0) }
    }

    /// Runs `body` with `bytes` reserved in `interim/` for scratch files in `folder` — made
    /// empty first (a crashed attempt's leftovers go), removed afterwards whatever happens — so
    /// that scratch counts against the budget as outputs do. Returns what `body` returns.
    public func withScratch<T: Sendable>(_ bytes: Int64, folder: String, _ body: () async throws -> T) async throws -> T {
        let allocation = DiskUsage.allocation(forLength: bytes)
        // The room promised for it when the stage began is what it takes.
        let scratch = try await budget.reserve(allocation, in: .interim, priority: priority, promising: producer ? nil : promise, holder: reservation)
        // Scratch is on the ledger's books only where other workers need to see it (the batch
        // asked for its stage's estimate when it started).
        let shared = holding.isShared
        do {
            if shared { try await holding.takeScratch(allocation) }
        } catch {
            await budget.cancel(scratch)
            throw error
        }
        do {
            try workspace.remove(folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let value = try await body()
            try workspace.remove(folder)
            workspace.removeEmptyFolders(from: (folder as NSString).deletingLastPathComponent)
            await budget.settle(scratch, actual: 0)
            if shared { holding.returnScratch(allocation) }
            return value
        } catch {
            try? workspace.remove(folder)
            workspace.removeEmptyFolders(from: (folder as NSString).deletingLastPathComponent)
            await budget.settle(scratch, actual: DiskUsage.measure(folder).bytes)
            // A failed task's reservations lapse with its claim; nothing to give back here.
            throw error
        }
    }

    /// Runs `body` with `bytes` reserved in `area` for files the stage keeps in `folder`, outside
    /// any item's outputs — a model's versions in `checkpoints/` — where it may also delete older
    /// ones: what the folder gained is then counted as committed in `area`, what it lost as
    /// freed. `body` commits what it writes there itself (fsync, rename).
    public func withRoom<T: Sendable>(_ bytes: Int64, in area: Area, folder: String, _ body: () async throws -> T) async throws -> T {
        let before = DiskUsage.measure(folder)
        let room = try await budget.reserve(DiskUsage.allocation(forLength: bytes), in: area, priority: priority, holder: reservation)
        func settle() async {
            let after = DiskUsage.measure(folder)
            let grown = (bytes: after.bytes - before.bytes, entries: after.entries - before.entries)
            await budget.settle(room, actual: max(0, grown.bytes), files: max(0, grown.entries))
            if grown.bytes < 0 || grown.entries < 0 { await budget.freed(max(0, -grown.bytes), files: max(0, -grown.entries), in: area) }
        }
        do {
            let value = try await body()
            await settle()
            return value
        } catch {
            await settle()
            throw error
        }
    }

    /// The bytes the stage holds for its outputs now (allocated on disk).
    public func reservedBytes() async -> Int64 { await budget.bytes(of: reservation) }

    /// Records an event of the stage in the ledger (`sluice events` shows it): what it did
    /// outside the workspace that a later attempt must know of, such as a job it submitted.
    public func record(_ kind: String, item: String?, _ message: String) async throws {
        try await ledger.record(LedgerEvent(time: Date().timeIntervalSince1970, item: item, stage: priority, kind: kind, message: message))
    }

    /// The ids of `names` in the run's append-only vocabulary `vocabulary`, shared by every item
    /// and worker: a name met for the first time gets the next id, from `first`
    /// (``Ledger/assignTokens(_:in:first:)``).
    public func assignTokens(_ names: [String], in vocabulary: String, first: Int32) async throws -> [String: Int32] {
        try await ledger.assignTokens(names, in: vocabulary, first: first)
    }

    /// Every name of the run's vocabulary `vocabulary` with its id, in id order.
    public func tokens(in vocabulary: String) async throws -> [(name: String, token: Int32)] {
        try await ledger.tokens(in: vocabulary)
    }

    /// Deletes every file of `item` outside the areas in `keeping` (never `cache`): first the
    /// files its stages committed, released in the ledger before they go, then anything else
    /// left in its folders. Returns how many recorded files were removed.
    public func removeFiles(of item: String, keeping: Set<Area>) async throws -> Int {
        let doomed = try await ledger.liveArtifacts(item: item).filter { !keeping.contains($0.area) }
        try await ledger.mark(doomed, .released)
        try await ledger.sync()
        let remover = ArtifactRemover(workspace: workspace, ledger: ledger)
        try await remover.delete(doomed, budget: budget)
        _ = try await remover.removeFolders(of: item, in: Area.allCases.filter { !keeping.contains($0) && $0 != .cache }, budget: budget)
        return doomed.count
    }
}
