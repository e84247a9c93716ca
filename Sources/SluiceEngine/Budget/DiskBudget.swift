/// The disk budget: total and per-area quotas that writers reserve from before they write.
///
/// `reserve` suspends until the bytes fit. Waiters are served by priority — work that finishes
/// an item (a later stage) before work that starts a new one — then first come, first served;
/// the first waiter that does not fit holds back those behind it, so a large item is not starved.
/// A producer (fetch) must also leave `headroom` free for the later stages of the items already
/// in flight, so the pipeline cannot fill its own budget with inputs it has no room to process,
/// and it waits while the filesystem is above its high-water mark.
public actor DiskBudget {
    private struct Waiter {
        let id: Int
        let bytes: Int64
        let area: Area
        let priority: Int
        let headroom: Int64
        let producer: Bool
        /// The reservation this one will be merged into (a writer asking for more while it writes).
        let holder: Int?
        let continuation: CheckedContinuation<Reservation, any Error>
    }

    public let limits: BudgetLimits
    private var committed: [Area: Int64]
    private var reserved: [Area: Int64] = [:]
    private var reservations: [Int: (area: Area, bytes: Int64)] = [:]
    private var overhead: Int64 = 0
    private var waiters: [Waiter] = []
    private var nextID = 0
    private var filesystemPaused = false
    /// When the books last changed in a way that could let a waiter in.
    private var lastChange = ContinuousClock.now
    private let filesystemFraction: @Sendable () -> Double?

    /// - Parameters:
    ///   - usage: bytes already in each area (measured at start).
    ///   - filesystemFraction: how full the filesystem is (0…1), polled by `pollFilesystem()`.
    public init(limits: BudgetLimits, usage: [Area: Int64], overhead: Int64 = 0,
                filesystemFraction: @escaping @Sendable () -> Double? = { nil }) {
        self.limits = limits
        self.committed = usage
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
    public func reserve(_ bytes: Int64, in area: Area, priority: Int, headroom: Int64 = 0, producer: Bool = false,
                        holder: Reservation? = nil) async throws -> Reservation {
        let bytes = max(bytes, 0)
        try checkRoomForData()
        if bytes > limits.limit(area) || bytes + overhead > limits.total {
            let bound = min(limits.limit(area), limits.total - overhead)
            throw BudgetError(code: .neverFits, message: "needs \(ByteSize.format(bytes)) in \(area.rawValue), more than the budget can ever hold (\(ByteSize.format(bound)))")
        }
        if producer, headroom > 0, bytes + headroom + overhead > limits.total {
            throw BudgetError(code: .neverFits, message: "needs \(ByteSize.format(bytes)) to fetch and \(ByteSize.format(headroom)) for its later stages, more than the budget can ever hold (\(ByteSize.format(limits.total - overhead)) after \(ByteSize.format(overhead)) for the ledger and logs)")
        }
        nextID += 1
        let id = nextID
        try Task.checkCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let waiter = Waiter(id: id, bytes: bytes, area: area, priority: priority, headroom: headroom, producer: producer,
                                    holder: holder?.id, continuation: continuation)
                let index = waiters.firstIndex { $0.priority < priority } ?? waiters.endIndex
                waiters.insert(waiter, at: index)
                grantWaiters()
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Adds `extra`'s bytes to `reservation` (for a writer whose size grew as it went).
    public func merge(_ extra: Reservation, into reservation: Reservation) {
        guard let added = reservations.removeValue(forKey: extra.id), let held = reservations[reservation.id] else { return }
        reservations[reservation.id] = (held.area, held.bytes + added.bytes)
        reserved[extra.area, default: 0] -= added.bytes
        reserved[held.area, default: 0] += added.bytes
    }

    /// The bytes a reservation holds.
    public func bytes(of reservation: Reservation) -> Int64 { reservations[reservation.id]?.bytes ?? 0 }

    /// Ends a reservation whose writing is committed: `actual` bytes now count as used.
    /// Returns how many bytes the writer wrote beyond what it reserved (0 normally).
    @discardableResult
    public func settle(_ reservation: Reservation, actual: Int64) -> Int64 {
        let held = reservations.removeValue(forKey: reservation.id)?.bytes ?? 0
        reserved[reservation.area, default: 0] -= held
        committed[reservation.area, default: 0] += actual
        lastChange = .now
        grantWaiters()
        return max(0, actual - held)
    }

    /// Ends a reservation that wrote nothing that stays.
    public func cancel(_ reservation: Reservation) {
        settle(reservation, actual: 0)
    }

    /// Committed bytes that were deleted.
    public func freed(_ bytes: Int64, in area: Area) {
        committed[area, default: 0] = max(0, (committed[area] ?? 0) - bytes)
        lastChange = .now
        grantWaiters()
    }

    /// Replaces the books' used bytes with a fresh measurement (after recovery at start).
    public func reset(usage: [Area: Int64], overhead: Int64) {
        committed = usage
        self.overhead = overhead
        grantWaiters()
    }

    /// Replaces the measured size of the ledger and logs.
    public func setOverhead(_ bytes: Int64) {
        overhead = bytes
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
    /// space — every reservation held belongs to a writer that is itself waiting, and no bytes were
    /// freed — so a pipeline whose next step can never fit fails that item with a clear message
    /// instead of waiting for ever. Returns true if it did.
    @discardableResult
    public func failStalledWaiter(after seconds: Double) -> Bool {
        let blocked = Set(waiters.compactMap(\.holder))
        guard reservations.keys.allSatisfy(blocked.contains), let first = waiters.first, !fits(first),
              ContinuousClock.now - lastChange > .seconds(seconds) else { return false }
        waiters.removeFirst()
        let free = max(0, limits.total - totalHeld)
        first.continuation.resume(throwing: BudgetError(
            code: .neverFits,
            message: "waited \(Int(seconds)) s for \(ByteSize.format(first.bytes)) in \(first.area.rawValue) with only \(ByteSize.format(free)) free and no work in flight that could free more; raise the budget or lower the stage's reservation"))
        grantWaiters()
        return true
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

    public var snapshot: BudgetSnapshot {
        BudgetSnapshot(limits: limits, committed: committed, reserved: reserved, overhead: overhead,
                       waiting: waiters.count, filesystemPaused: filesystemPaused)
    }

    // MARK: Granting

    private func held(_ area: Area) -> Int64 { (committed[area] ?? 0) + (reserved[area] ?? 0) }
    private var totalHeld: Int64 { Area.allCases.reduce(overhead) { $0 + held($1) } }

    private func fits(_ waiter: Waiter) -> Bool {
        if waiter.producer && filesystemPaused { return false }
        return held(waiter.area) + waiter.bytes <= limits.limit(waiter.area)
            && totalHeld + waiter.bytes + waiter.headroom <= limits.total
    }

    private func grantWaiters() {
        while let first = waiters.first, fits(first) {
            waiters.removeFirst()
            lastChange = .now
            reservations[first.id] = (first.area, first.bytes)
            reserved[first.area, default: 0] += first.bytes
            first.continuation.resume(returning: Reservation(id: first.id, area: first.area))
        }
    }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(throwing: CancellationError())
        grantWaiters()
    }
}
