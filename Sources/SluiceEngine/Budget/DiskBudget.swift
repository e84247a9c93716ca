/// The disk budget: total and per-area quotas that writers reserve from before they write, in
/// allocated bytes (what `du` and quotas count, ``DiskUsage``), and optionally a bound on the
/// number of files and folders (inodes, which cluster quotas count too).
///
/// `reserve` suspends until the bytes fit. Waiters are served by priority — work that finishes
/// an item (a later stage) before work that starts a new one — then first come, first served;
/// the first waiter that does not fit holds back those behind it, so a large item is not starved.
/// A producer (fetch) must also leave `headroom` free for the later stages of the items already
/// in flight, so the pipeline cannot fill its own budget with inputs it has no room to process,
/// and it waits while the filesystem is above its high-water mark. Once granted, that room is
/// promised to its item (held on the books) until the item's next stage reserves: a download
/// that starts later cannot take the room an item fetched before it needs to be processed.
public actor DiskBudget {
    private struct Waiter {
        let id: Int
        let bytes: Int64
        let files: Int
        let area: Area
        let priority: Int
        let headroom: Int64
        /// Files and folders kept free and promised as `headroom` is (against `limits.files`).
        let headroomFiles: Int
        let producer: Bool
        /// The item `headroom` is promised to once granted.
        let promise: String?
        /// The reservation this one will be merged into (a writer asking for more while it writes).
        let holder: Int?
        let continuation: CheckedContinuation<Reservation, any Error>
    }

    /// The limits the budget enforces.
    public let limits: BudgetLimits
    private var committed: [Area: Int64]
    private var reserved: [Area: Int64] = [:]
    private var reservations: [Int: (area: Area, bytes: Int64, files: Int)] = [:]
    private var overhead: Int64 = 0
    /// Room promised to fetched items for their next stage, by item: held until that stage
    /// reserves (or the item's fetch fails), in node-local scratch or not.
    private var promised: [String: (local: Bool, bytes: Int64, files: Int)] = [:]
    /// Files and folders: committed (the areas and the overhead's), and promised to writers.
    private var committedFiles: Int
    private var reservedFiles = 0
    private var overheadFiles = 0
    private var waiters: [Waiter] = []
    private var nextID = 0
    private var filesystemPaused = false
    /// Whether the bytes are bounded by the ledger rather than here: where workers share a run,
    /// these books see only this worker's writes and deletions (another worker may delete what
    /// this one wrote), so the quota they share in the ledger is the one that counts.
    private var bytesInLedger = false
    /// When the books last changed in a way that could let a waiter in.
    private var lastChange = ContinuousClock.now
    /// When ``failStalledWaiter(after:executing:)`` first found the run stalled, since when
    /// every look found it so.
    private var stalledSince: ContinuousClock.Instant?
    private let filesystemFraction: @Sendable () -> Double?
    /// With node-local scratch, the most `raw` and `interim` (``Area/nodeLocal``) may hold there
    /// together: bounded here always, since no other worker writes or deletes on this node,
    /// while ``BudgetLimits/total`` bounds the other areas only.
    private let scratchLimit: Int64?

    /// - Parameters:
    ///   - usage: allocated bytes already in each area (measured at start).
    ///   - files: files and folders already in the workspace, overhead included.
    ///   - filesystemFraction: how full the filesystem is (0…1), polled by `pollFilesystem()`.
    ///   - scratchLimit: with node-local scratch, the bound on its areas together.
    public init(
        limits: BudgetLimits, usage: [Area: Int64], files: Int = 0, overhead: Int64 = 0, overheadFiles: Int = 0,
        scratchLimit: Int64? = nil, filesystemFraction: @escaping @Sendable () -> Double? = { nil }
    ) {
        self.scratchLimit = scratchLimit
        self.limits = limits
        self.committed = usage
        self.committedFiles = files
        self.overheadFiles = overheadFiles
        self.overhead = overhead
        self.filesystemFraction = filesystemFraction
    }

    /// Waits until `bytes` fit in `area`, then holds them for the caller.
    /// - Parameters:
    ///   - priority: higher first; the engine passes the stage's index.
    ///   - headroom: bytes a producer must leave free in the total for items already in flight.
    ///   - producer: true for work that brings new data in (paused by the filesystem mark).
    ///   - holder: the reservation a writer already holds when it asks for more; while it waits, it
    ///     cannot free anything (used to tell a stall from slow work).
    ///   - files: files and folders the writer will make (counted against `limits.files`).
    ///   - promising: the item `headroom` is promised to once granted: a producer's later stages,
    ///     a later stage's scratch space. It replaces what the item was promised before, whose
    ///     room this reservation may take.
    ///   - redeeming: items whose promised room this reservation (their next stage) takes over.
    ///   - headroomFiles: files and folders kept free and promised with `headroom`.
    public func reserve(
        _ bytes: Int64, files: Int = 0, in area: Area, priority: Int, headroom: Int64 = 0, headroomFiles: Int = 0, producer: Bool = false,
        promising item: String? = nil, redeeming items: [String] = [], holder: Reservation? = nil
    ) async throws -> Reservation {
        // Given back at once, before anything can throw: the waiter below is queued ahead of the
        // downloads that could otherwise take the room.
        for item in items { promised[item] = nil }
        let bytes = max(bytes, 0)
        if let limit = limits.files, files > limit {
            throw BudgetError(code: .neverFits, message: "needs \(files) files, more than budget.files (\(limit)) can ever hold")
        }
        // Judged without the overhead: when the ledger and logs are what is in the way, the run
        // stops once saying so (``overheadBlockage``) rather than failing item after item.
        if bytes > limit(area) {
            throw BudgetError(code: .neverFits, message: "needs \(ByteSize.format(bytes)) in \(area.rawValue), more than the budget can ever hold (\(ByteSize.format(limit(area))))")
        }
        let total = books(of: area).limit
        if producer, headroom > 0, bytes + headroom > total {
            throw BudgetError(
                code: .neverFits,
                message: "needs \(ByteSize.format(bytes)) to fetch and \(ByteSize.format(headroom)) for its later stages, more than the budget can ever hold (\(ByteSize.format(total)))")
        }
        nextID += 1
        let id = nextID
        try Task.checkCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let waiter = Waiter(
                    id: id, bytes: bytes, files: files, area: area, priority: priority, headroom: headroom, headroomFiles: headroomFiles,
                    producer: producer,
                    promise: item, holder: holder?.id, continuation: continuation)
                let index = waiters.firstIndex { $0.priority < priority } ?? waiters.endIndex
                waiters.insert(waiter, at: index)
                grantWaiters()
            }
        } onCancel: {
            // A cancellation handler runs synchronously, outside the actor: the one task the
            // engine starts unstructured only hops in to resume and drop the waiter.
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Promises `bytes` to `item`, whose next stage will reserve them (an item fetched before
    /// the run started; in the books of `area`, as its download's would have been).
    public func promise(_ bytes: Int64, to item: String, in area: Area) {
        promised[item] = (isLocal(area), bytes, 0)
    }

    /// Gives back the room promised to `items` (a download failed or was given back, or a
    /// stage ended without asking for all of its scratch space).
    public func releasePromises(of items: [String]) {
        let released = items.filter { promised.removeValue(forKey: $0) != nil }
        guard !released.isEmpty else { return }
        lastChange = .now
        grantWaiters()
    }

    /// Room promised to fetched items for their next stages, in all.
    public var promisedBytes: Int64 { promised.values.reduce(0) { $0 + $1.bytes } }

    /// Leaves the bounds on bytes to the quota workers share in the ledger (``SharedQuota``):
    /// from now on reservations wait here only for the filesystem's high-water mark and the
    /// bound on files, and for nothing else.
    public func leaveBytesToTheLedger() {
        bytesInLedger = true
        grantWaiters()
    }

    /// Adds `extra`'s bytes to `reservation` (for a writer whose size grew as it went).
    public func merge(_ extra: Reservation, into reservation: Reservation) {
        guard let added = reservations.removeValue(forKey: extra.id), let held = reservations[reservation.id] else { return }
        reservations[reservation.id] = (held.area, held.bytes + added.bytes, held.files + added.files)
        reserved[extra.area, default: 0] -= added.bytes
        reserved[held.area, default: 0] += added.bytes
    }

    /// The bytes a reservation holds.
    public func bytes(of reservation: Reservation) -> Int64 { reservations[reservation.id]?.bytes ?? 0 }

    /// Ends a reservation whose writing is committed: `actual` bytes (and `files` files and
    /// folders) now count as used. Returns how many bytes the writer wrote beyond what it
    /// reserved (0 normally).
    @discardableResult
    public func settle(_ reservation: Reservation, actual: Int64, files: Int = 0) -> Int64 {
        let entry = reservations.removeValue(forKey: reservation.id)
        let held = entry?.bytes ?? 0
        reserved[reservation.area, default: 0] -= held
        reservedFiles -= entry?.files ?? 0
        committed[reservation.area, default: 0] += actual
        committedFiles += files
        lastChange = .now
        grantWaiters()
        return max(0, actual - held)
    }

    /// Ends a reservation that wrote nothing that stays.
    public func cancel(_ reservation: Reservation) {
        settle(reservation, actual: 0)
    }

    /// Committed bytes (and files and folders) that were deleted.
    public func freed(_ bytes: Int64, files: Int = 0, in area: Area) {
        committed[area, default: 0] = max(0, (committed[area] ?? 0) - bytes)
        committedFiles = max(0, committedFiles - files)
        lastChange = .now
        grantWaiters()
    }

    /// Replaces the books' used bytes and files with a fresh measurement (after recovery at start).
    public func reset(usage: [Area: Int64], files: Int, overhead: Int64, overheadFiles: Int = 0) {
        committed = usage
        committedFiles = files
        self.overheadFiles = overheadFiles
        self.overhead = overhead
        grantWaiters()
    }

    /// Replaces the measured size of the ledger and logs (and their files and folders).
    public func setOverhead(_ bytes: Int64, files: Int = 0) {
        overhead = bytes
        overheadFiles = files
        grantWaiters()
    }

    /// Re-reads how full the filesystem is and pauses or resumes producers at the watermarks.
    public func pollFilesystem() {
        guard let fraction = filesystemFraction() else { return }
        if filesystemPaused, fraction < limits.filesystemLow {
            filesystemPaused = false
        } else if !filesystemPaused, fraction >= limits.filesystemHigh {
            filesystemPaused = true
        }
        grantWaiters()
    }

    /// Fails the first waiter when it has waited `seconds` with nothing in flight that could free
    /// space — every one of the `executing` batches is waiting here, every reservation held belongs
    /// to a writer that is itself waiting, and no bytes were freed — so a pipeline whose next step
    /// can never fit fails that item with a clear message instead of waiting for ever. A batch
    /// that is still deleting its inputs (slow on a busy disk) holds no reservation but will free
    /// space, so it keeps the clock from running. The clock runs from the first look that found
    /// the stall, not from the books' last change: a process the machine starved for longer than
    /// `seconds` (nothing changed, nor could it) may look first in the moment between one task of
    /// a stage and its next claim. Returns true if it did.
    @discardableResult
    public func failStalledWaiter(after seconds: Double, executing: Int) -> Bool {
        if executing > waiters.count {
            lastChange = .now
            stalledSince = nil
            return false
        }
        let blocked = Set(waiters.compactMap(\.holder))
        guard overheadBlockage == nil, reservations.keys.allSatisfy(blocked.contains), let first = waiters.first, !fits(first) else {
            stalledSince = nil
            return false
        }
        let now = ContinuousClock.now
        let since = stalledSince ?? now
        stalledSince = since
        guard now - max(since, lastChange) >= .seconds(seconds) else { return false }
        stalledSince = nil
        waiters.removeFirst()
        let books = books(of: first.area)
        // What the area's own quota leaves, where it binds before the total.
        let free = max(0, min(books.limit - books.held, limit(first.area) - held(first.area)))
        let kept = first.headroom > 0 ? " (and \(ByteSize.format(first.headroom)) kept free for its item's later stages)" : ""
        first.continuation.resume(
            throwing: BudgetError(
                code: .neverFits,
                message:
                    "waited \(Int(seconds)) s for \(ByteSize.format(first.bytes)) in \(first.area.rawValue)\(kept) with only \(ByteSize.format(free)) free and no work in flight that could free more; raise the budget or lower the stage's reservation"
            ))
        grantWaiters()
        return true
    }

    /// Why the first waiter cannot fit even if every byte of data were freed — the ledger and
    /// logs (which grow with the items a workspace has seen) leave too little room — or nil.
    /// The runner then stops once with this sentence.
    public var overheadBlockage: String? {
        guard let first = waiters.first, !isLocal(first.area) else { return nil }
        // A download also keeps the producers' margin free.
        let needed = first.bytes + first.headroom + (first.producer ? producerMargin : 0)
        if overhead + needed > limits.total {
            return
                "the ledger and logs take \(ByteSize.format(overhead)) of budget.total (\(ByteSize.format(limits.total))), too little room for the next piece of work (\(ByteSize.format(needed))); raise budget.total, or run the remaining items in a new workspace"
        }
        if let limit = limits.files, overheadFiles + first.files > limit {
            return "the ledger and logs take \(overheadFiles) of budget.files (\(limit)), too few for the next piece of work (\(first.files)); raise budget.files"
        }
        return nil
    }

    /// Throws when the ledger and logs alone fill the total, so nothing could ever be reserved:
    /// one sentence for the run, instead of every item failing with a size it never asked for.
    public func checkRoomForData() throws {
        guard overhead >= limits.total else { return }
        throw BudgetError(
            code: .neverFits,
            message: "budget.total (\(ByteSize.format(limits.total))) leaves no room for data: the ledger and logs alone take \(ByteSize.format(overhead)); raise budget.total well above that")
    }

    /// Whether the first waiter does not fit now: room freed anywhere would let work go on.
    public var isShortOfSpace: Bool {
        guard let first = waiters.first else { return false }
        return !fits(first)
    }

    /// The budget's books now: committed, reserved and overhead bytes, files, waiters and whether
    /// fetching is paused.
    public var snapshot: BudgetSnapshot {
        BudgetSnapshot(
            limits: limits, committed: committed, reserved: reserved, overhead: overhead,
            files: overheadFiles + committedFiles + reservedFiles, overheadFiles: overheadFiles, waiting: waiters.count,
            filesystemPaused: filesystemPaused)
    }

    // MARK: Granting

    /// Room a producer leaves free beyond its item's headroom, for what the ledger grows by as
    /// the items already fetched are processed: without it, a run whose fetching outpaces its
    /// processing fills the budget with inputs, the ledger's growth eats the headroom, and the
    /// next stage can no longer reserve what it needs to free them (found at 17,000 of 100,000
    /// small items).
    private var producerMargin: Int64 { Self.producerMargin(limits) }

    /// Room a download keeps free beyond its own and its item's later stages' (``reserve``'s
    /// producers): a fiftieth of the total, at most half the ledger's slack.
    static func producerMargin(_ limits: BudgetLimits) -> Int64 { min(Workspace.overheadSlack / 2, limits.total / 50) }

    private func held(_ area: Area) -> Int64 { (committed[area] ?? 0) + (reserved[area] ?? 0) }
    /// What the workspace holds: the overhead and its areas (not those in node-local scratch).
    private var totalHeld: Int64 {
        Area.allCases.filter { !isLocal($0) }.reduce(overhead) { $0 + held($1) } + promised.values.reduce(0) { $0 + ($1.local ? 0 : $1.bytes) }
    }
    /// What the node-local scratch holds.
    private var scratchHeld: Int64 { Area.nodeLocal.reduce(0) { $0 + held($1) } + promised.values.reduce(0) { $0 + ($1.local ? $1.bytes : 0) } }
    /// What is already promised to `waiter`'s item, which its grant replaces.
    private func promisedToItem(of waiter: Waiter) -> Int64 { waiter.promise.flatMap { promised[$0]?.bytes } ?? 0 }
    /// Files and folders promised to items.
    private var promisedFiles: Int { promised.values.reduce(0) { $0 + $1.files } }
    /// The files and folders promised to `waiter`'s item that its grant replaces: none when it
    /// adds to a reservation its writer holds (a download that learnt its size, scratch space),
    /// which keeps them.
    private func promisedFilesToItem(of waiter: Waiter) -> Int { waiter.holder == nil ? waiter.promise.flatMap { promised[$0]?.files } ?? 0 : 0 }
    /// Whether `area` is in node-local scratch.
    private func isLocal(_ area: Area) -> Bool { scratchLimit != nil && Area.nodeLocal.contains(area) }
    /// The books an area is bounded by as a whole: the node-local scratch's, or the workspace's.
    private func books(of area: Area) -> (limit: Int64, held: Int64) {
        isLocal(area) ? (scratchLimit!, scratchHeld) : (limits.total, totalHeld)
    }
    /// The bound on one area (in node-local scratch, the scratch's too).
    private func limit(_ area: Area) -> Int64 { isLocal(area) ? min(limits.limit(area), scratchLimit!) : limits.limit(area) }

    private func fits(_ waiter: Waiter) -> Bool {
        // Work that writes nothing (a cleanup) frees room; nothing holds it back.
        if waiter.bytes == 0, waiter.files == 0, waiter.headroom == 0, !waiter.producer { return true }
        if waiter.producer && filesystemPaused { return false }
        // Where workers share the run, the ledger counts the files of all of them (``SharedQuota``).
        if let limit = limits.files, !bytesInLedger,
            overheadFiles + committedFiles + reservedFiles + promisedFiles - promisedFilesToItem(of: waiter) + waiter.files + waiter.headroomFiles > limit
        {
            return false
        }
        if isLocal(waiter.area), let scratchLimit {
            // Node-local scratch: this worker's alone, so bounded here whoever else shares the run.
            return held(waiter.area) + waiter.bytes <= limit(waiter.area)
                && scratchHeld - promisedToItem(of: waiter) + waiter.bytes + waiter.headroom <= scratchLimit
        }
        if bytesInLedger { return true }
        return held(waiter.area) + waiter.bytes <= limits.limit(waiter.area)
            && totalHeld - promisedToItem(of: waiter) + waiter.bytes + waiter.headroom + (waiter.producer ? producerMargin : 0) <= limits.total
    }

    private func grantWaiters() {
        while let first = waiters.first, fits(first) {
            waiters.removeFirst()
            lastChange = .now
            reservations[first.id] = (first.area, first.bytes, first.files)
            reserved[first.area, default: 0] += first.bytes
            reservedFiles += first.files
            if let item = first.promise {
                promised[item] = (isLocal(first.area), first.headroom, first.holder == nil ? first.headroomFiles : promised[item]?.files ?? 0)
            }
            first.continuation.resume(returning: Reservation(id: first.id, area: first.area))
        }
    }

    /// Gives every waiting reservation back (its caller sees `CancellationError`): the run stops.
    public func cancelWaiters() {
        let cancelled = waiters
        waiters.removeAll()
        for waiter in cancelled { waiter.continuation.resume(throwing: CancellationError()) }
    }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(throwing: CancellationError())
        grantWaiters()
    }
}
