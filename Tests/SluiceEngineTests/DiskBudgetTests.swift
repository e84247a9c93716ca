import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

/// The budget's promises: waits until bytes fit, consumers before producers, clear refusal of
/// what can never fit, headroom for items in flight, and the filesystem watermarks.
@Suite struct DiskBudgetTests {
    /// A total the ledger and logs alone fill is one sentence about the budget, not "needs 0 B …
    /// (-1.17 MB)" for every item: a reservation waits, and the budget names the overhead as
    /// what blocks it (the runner then stops once with that sentence).
    @Test func aBudgetTheOverheadFillsIsNamedOnce() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 1_000_000), usage: [:], overhead: 3_170_000)
        let waiting = Task { try await budget.reserve(4096, in: .raw, priority: 0) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        let reason = try #require(await budget.overheadBlockage)
        #expect(reason.contains("the ledger and logs take 3.17 MB of budget.total (1.00 MB)"), "\(reason)")
        #expect(!reason.contains("-"))
        // It is not mistaken for a stall of the item's own making.
        #expect(await budget.failStalledWaiter(after: 0, executing: 1) == false)
        waiting.cancel()
        _ = await waiting.result
        await #expect(throws: BudgetError.self) { try await budget.checkRoomForData() }
        let roomy = DiskBudget(limits: BudgetLimits(total: 10_000_000), usage: [:], overhead: 3_170_000)
        try await roomy.checkRoomForData()
        #expect(await roomy.overheadBlockage == nil)
    }

    /// A download also needs the producers' margin: when the overhead leaves room for its bytes
    /// but not for the margin, that too is the overhead's doing, not the item's.
    @Test func theProducersMarginCountsWhenTheOverheadBlocks() async throws {
        // A margin of 2 % of the total: 20 kB.
        let budget = DiskBudget(limits: BudgetLimits(total: 1_000_000), usage: [:], overhead: 975_000)
        let fetch = Task { try await budget.reserve(10_000, in: .raw, priority: 0, producer: true) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        let reason = try #require(await budget.overheadBlockage)
        #expect(reason.contains("too little room for the next piece of work (30.00 kB)"), "\(reason)")
        fetch.cancel()
        _ = await fetch.result
    }

    @Test func reservationWaitsUntilBytesAreFreed() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 100), usage: [.raw: 60])
        let first = try await budget.reserve(40, in: .raw, priority: 0)
        let waiting = Task { try await budget.reserve(30, in: .output, priority: 1) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        await budget.settle(first, actual: 40)
        await budget.freed(50, in: .raw)
        let second = try await waiting.value
        #expect(await budget.bytes(of: second) == 30)
        #expect(await budget.snapshot.totalHeld == 80)
    }

    /// Node-local scratch is this worker's alone: its areas are bounded by its own books even
    /// where workers leave the bytes to the ledger's shared quota, and the shared total does
    /// not count them.
    @Test func nodeLocalScratchIsBoundedHereWhateverTheLedgerSays() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 100), usage: [.raw: 50], scratchLimit: 80)
        await budget.leaveBytesToTheLedger()
        // 50 held in raw: 30 more in interim fit the scratch, the next 1 does not.
        let interim = try await budget.reserve(30, in: .interim, priority: 1)
        let waiting = Task { try await budget.reserve(1, in: .raw, priority: 0) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        // Shared areas are the ledger's to bound: 100 in output is granted beside the scratch.
        let output = try await budget.reserve(100, in: .output, priority: 2)
        #expect(await budget.bytes(of: output) == 100)
        await budget.settle(interim, actual: 0)
        #expect(await budget.bytes(of: try await waiting.value) == 1)
        // More than the scratch can ever hold fails at once.
        await #expect(throws: BudgetError.self) { try await budget.reserve(81, in: .raw, priority: 0) }
    }

    @Test func consumersAreServedBeforeProducers() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 1000), usage: [.raw: 1000])
        let order = OrderLog()
        let producer = Task {
            _ = try await budget.reserve(500, in: .raw, priority: 0, producer: true)
            await order.append("producer")
        }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        let consumer = Task {
            _ = try await budget.reserve(400, in: .output, priority: 2)
            await order.append("consumer")
        }
        #expect(await waitUntil { await budget.snapshot.waiting == 2 })
        await budget.freed(500, in: .raw)
        try await consumer.value
        #expect(await order.entries == ["consumer"])
        await budget.freed(500, in: .raw)
        try await producer.value
        #expect(await order.entries == ["consumer", "producer"])
    }

    @Test func tooLargeFailsAtOnce() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 1000, areas: [.raw: 100]), usage: [:])
        let error = await #expect(throws: BudgetError.self) { try await budget.reserve(101, in: .raw, priority: 0) }
        #expect(error?.code == .neverFits)
        #expect(error?.message.contains("more than the budget can ever hold") == true)
    }

    /// The stall's clock starts at the first look that finds it: a process starved longer than
    /// the limit (no look, no change) is not failed by its first look after, which may fall
    /// between a stage's task and its next claim.
    @Test func aStallIsTimedFromItsFirstSighting() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 1000), usage: [.raw: 900])
        let waiting = Task { try await budget.reserve(200, in: .raw, priority: 0) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(await budget.failStalledWaiter(after: 0.2, executing: 1) == false)
        try await Task.sleep(for: .milliseconds(100))
        // Work seen in between starts the clock again.
        #expect(await budget.failStalledWaiter(after: 0.2, executing: 2) == false)
        #expect(await budget.failStalledWaiter(after: 0.2, executing: 1) == false)
        try await Task.sleep(for: .milliseconds(300))
        #expect(await budget.failStalledWaiter(after: 0.2, executing: 1))
        await #expect(throws: BudgetError.self) { try await waiting.value }
    }

    /// A waiter that cannot fit fails only when nothing else is at work: a batch still deleting
    /// its inputs (it holds no reservation, but will free space) keeps it waiting.
    @Test func aStallIsDeclaredOnlyWhenNoOtherWorkRuns() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 1000), usage: [.raw: 900])
        let waiting = Task { try await budget.reserve(200, in: .raw, priority: 0) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        #expect(await budget.failStalledWaiter(after: 0, executing: 2) == false)
        #expect(await budget.snapshot.waiting == 1)
        #expect(await budget.failStalledWaiter(after: 0, executing: 1))
        let error = await #expect(throws: BudgetError.self) { try await waiting.value }
        #expect(error?.code == .neverFits)
        #expect(error?.message.contains("no work in flight") == true)
    }

    @Test func producerLeavesHeadroomForLaterStages() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 100), usage: [.output: 40])
        // 40 used; a 30-byte fetch needing 40 bytes of room downstream, and the producers' margin
        // (2 % of the total), does not fit (40+30+40+2 > 100).
        let fetch = Task { try await budget.reserve(30, in: .raw, priority: 0, headroom: 40, producer: true) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        await budget.freed(10, in: .output)
        #expect(await budget.snapshot.waiting == 1)
        await budget.freed(2, in: .output)
        _ = try await fetch.value
        #expect(await budget.snapshot.held(.raw) == 30)
    }

    /// The room a download keeps free for its item's next stage stays promised to that item
    /// once the download is done: a later download cannot take it, so the item fetched first
    /// can always be processed (the demo stalled when fetches ran ahead and the ledger grew).
    @Test func aFetchedItemKeepsTheRoomItsNextStageNeeds() async throws {
        // A margin of 2 % of the total: 20 bytes.
        let budget = DiskBudget(limits: BudgetLimits(total: 1000), usage: [:])
        for item in ["a", "b"] {
            let fetch = try await budget.reserve(100, in: .raw, priority: 0, headroom: 300, producer: true, promising: item)
            await budget.settle(fetch, actual: 100)
        }
        #expect(await budget.promisedBytes == 600)
        // 200 fetched + 600 promised: a third download (100 + 300 + 20) must wait, though
        // only 200 bytes are on the disk.
        let third = Task { try await budget.reserve(100, in: .raw, priority: 0, headroom: 300, producer: true, promising: "c") }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        // The ledger grows by less than the margin; a's next stage takes a's room at once.
        await budget.setOverhead(15)
        let next = try await budget.reserve(300, in: .interim, priority: 1, redeeming: ["a"])
        #expect(await budget.promisedBytes == 300)
        #expect(await budget.snapshot.waiting == 1)
        // a's output is committed (100) and its input deleted: 100 + 100 + 15 on the disk, b's
        // 300 promised, and c's 420 fit.
        await budget.settle(next, actual: 100)
        #expect(await budget.snapshot.waiting == 1)
        await budget.freed(100, in: .raw)
        _ = try await third.value
        #expect(await budget.promisedBytes == 600)
        // A download that fails gives its item's room back.
        await budget.releasePromises(of: ["c"])
        #expect(await budget.promisedBytes == 300)
    }

    /// A later stage takes over its item's promise and keeps the room of the scratch space it
    /// will ask for as it runs: downloads that start meanwhile cannot take it (the reference
    /// run of WorkerTests failed its preprocess's scratch with "waited 10 s … in interim").
    @Test func aStageKeepsTheScratchSpaceItWillAskFor() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 1000), usage: [:])
        let fetch = try await budget.reserve(100, in: .raw, priority: 0, headroom: 300, producer: true, promising: "a")
        await budget.settle(fetch, actual: 100)
        // a's next stage: 200 of outputs now, 100 of scratch later, in place of a's 300.
        let stage = try await budget.reserve(200, in: .interim, priority: 1, headroom: 100, promising: "a")
        #expect(await budget.promisedBytes == 100)
        _ = try await budget.reserve(100, in: .raw, priority: 0, headroom: 300, producer: true, promising: "b")
        // The ledger grows: 50 bytes are free, less than the scratch, which is still there.
        await budget.setOverhead(150)
        let scratch = try await budget.reserve(100, in: .interim, priority: 1, promising: "a", holder: stage)
        #expect(await budget.bytes(of: scratch) == 100)
        #expect(await budget.promisedBytes == 300, "only b's promise is left")
    }

    @Test func filesystemWatermarksPauseAndResumeProducers() async throws {
        let level = LevelBox(0.95)
        let budget = DiskBudget(
            limits: BudgetLimits(total: 100, filesystemHigh: 0.9, filesystemLow: 0.8), usage: [:],
            filesystemFraction: { level.value })
        await budget.pollFilesystem()
        #expect(await budget.snapshot.filesystemPaused)
        let fetch = Task { try await budget.reserve(10, in: .raw, priority: 0, producer: true) }
        // Work that is not a producer is not paused.
        _ = try await budget.reserve(10, in: .output, priority: 1)
        level.value = 0.85
        await budget.pollFilesystem()
        #expect(await budget.snapshot.filesystemPaused)
        level.value = 0.5
        await budget.pollFilesystem()
        _ = try await fetch.value
        #expect(await !budget.snapshot.filesystemPaused)
    }

    @Test func cancelledWaiterLeavesTheQueue() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 10), usage: [.raw: 10])
        let waiter = Task { try await budget.reserve(5, in: .raw, priority: 0) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(await budget.snapshot.waiting == 0)
    }

    @Test func settlingReportsOverrun() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 100), usage: [:])
        let reservation = try await budget.reserve(10, in: .output, priority: 1)
        #expect(await budget.settle(reservation, actual: 15) == 5)
        #expect(await budget.snapshot.committed[.output] == 15)
        #expect(await budget.snapshot.reserved[.output] == 0)
    }
}

/// Polls `condition` up to 6,000 times, 5 ms apart. The bound is a count of polls, not a wall
/// clock: while other tests hold every cooperative thread (CPU-bound tests on a 2-core machine can
/// for half a minute), neither this poll nor the task it waits for runs, and no time is lost.
private func waitUntil(_ condition: () async -> Bool) async -> Bool {
    for _ in 0..<6_000 {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}

private actor OrderLog {
    var entries: [String] = []
    func append(_ entry: String) { entries.append(entry) }
}

private final class LevelBox: Sendable {
    private let storage: Mutex<Double>
    init(_ value: Double) { storage = Mutex(value) }
    var value: Double {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

/// Every area's own quota holds, `checkpoints` and `cache` included: a reservation that fits the
/// total but not its area waits until that area has room.
@Suite struct AreaQuotaTests {
    @Test(arguments: Area.allCases)
    func anAreaQuotaHoldsWhileTheTotalHasRoom(area: Area) async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 10_000, areas: [area: 100]), usage: [:])
        let first = try await budget.reserve(60, in: area, priority: 0)
        let second = Task { try await budget.reserve(60, in: area, priority: 0) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        // Another area is not held back by this one's quota (a later stage's request goes first).
        let other = Area.allCases.first { $0 != area }!
        _ = try await budget.reserve(5_000, in: other, priority: 1)
        #expect(await budget.snapshot.waiting == 1)
        await budget.settle(first, actual: 0)
        let granted = try await second.value
        #expect(await budget.bytes(of: granted) == 60)
        #expect(await budget.snapshot.held(area) <= 100)
    }

    @Test func aQuotaLargerThanTheTotalIsBoundByTheTotal() {
        let limits = BudgetLimits(total: 100, areas: [.cache: 1_000])
        #expect(limits.limit(.cache) == 100)
        #expect(limits.limit(.checkpoints) == 100)
    }

    @Test func aFileBudgetHoldsLikeAByteBudget() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 1_000_000, files: 10), usage: [:], files: 4)
        let first = try await budget.reserve(10, files: 5, in: .output, priority: 0)
        let second = Task { try await budget.reserve(10, files: 5, in: .output, priority: 0) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        // 4 there, 5 promised: the second's 5 more would make 14. Committed as 1, they make 10.
        await budget.settle(first, actual: 8192, files: 1)
        _ = try await second.value
        #expect(await budget.snapshot.files == 10)
        await #expect(throws: BudgetError.self) { try await budget.reserve(0, files: 11, in: .raw, priority: 0) }
    }

    /// Files and folders are promised as bytes are: a fetched item keeps the entries its next
    /// stage will make, so downloads cannot fill `budget.files` with inputs no stage has room
    /// to process (SmallItemsBudgetTests' file bound stalled that way under load).
    @Test func aFetchedItemKeepsTheFilesItsNextStageMakes() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 1_000_000, files: 12), usage: [:], files: 2)
        let fetch = try await budget.reserve(10, files: 3, in: .raw, priority: 0, headroomFiles: 3, producer: true, promising: "a")
        await budget.settle(fetch, actual: 4096, files: 2)
        // 2 there, a's 2 and its 3 promised: another download's 3 and 3 would make 13.
        let second = Task { try await budget.reserve(10, files: 3, in: .raw, priority: 0, headroomFiles: 3, producer: true, promising: "b") }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        // a's next stage takes its 3 files at once.
        let next = try await budget.reserve(10, files: 3, in: .output, priority: 1, promising: "a")
        #expect(await budget.snapshot.waiting == 1)
        await budget.settle(next, actual: 4096, files: 1)
        await budget.releasePromises(of: ["a"])
        await budget.freed(4096, files: 2, in: .raw)
        _ = try await second.value
    }
}
