import SluiceEngine
import SluiceTestSupport
import SluiceLoopback
import Synchronization
import Testing

/// The budget's promises: waits until bytes fit, consumers before producers, clear refusal of
/// what can never fit, headroom for items in flight, and the filesystem watermarks.
@Suite struct DiskBudgetTests {
    /// A total the ledger and logs alone fill is one sentence about the budget, not "needs 0 B …
    /// (-1.17 MB)" for every item.
    @Test func aBudgetTheOverheadFillsIsNamedOnce() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 1_000_000), usage: [:], overhead: 3_170_000)
        let error = await #expect(throws: BudgetError.self) { try await budget.reserve(0, in: .raw, priority: 0) }
        #expect(error?.code == .neverFits)
        #expect(error?.message.contains("budget.total (1.00 MB) leaves no room for data") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("-") == false)
        await #expect(throws: BudgetError.self) { try await budget.checkRoomForData() }
        let roomy = DiskBudget(limits: BudgetLimits(total: 10_000_000), usage: [:], overhead: 3_170_000)
        try await roomy.checkRoomForData()
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

    @Test func consumersAreServedBeforeProducers() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 100), usage: [.raw: 100])
        let order = OrderLog()
        let producer = Task {
            _ = try await budget.reserve(50, in: .raw, priority: 0, producer: true)
            await order.append("producer")
        }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        let consumer = Task {
            _ = try await budget.reserve(50, in: .output, priority: 2)
            await order.append("consumer")
        }
        #expect(await waitUntil { await budget.snapshot.waiting == 2 })
        await budget.freed(50, in: .raw)
        try await consumer.value
        #expect(await order.entries == ["consumer"])
        await budget.freed(50, in: .raw)
        try await producer.value
        #expect(await order.entries == ["consumer", "producer"])
    }

    @Test func tooLargeFailsAtOnce() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 1000, areas: [.raw: 100]), usage: [:])
        let error = await #expect(throws: BudgetError.self) { try await budget.reserve(101, in: .raw, priority: 0) }
        #expect(error?.code == .neverFits)
        #expect(error?.message.contains("more than the budget can ever hold") == true)
    }

    @Test func producerLeavesHeadroomForLaterStages() async throws {
        let budget = DiskBudget(limits: BudgetLimits(total: 100), usage: [.output: 40])
        // 40 used; a 30-byte fetch needing 40 bytes of room downstream does not fit (40+30+40 > 100).
        let fetch = Task { try await budget.reserve(30, in: .raw, priority: 0, headroom: 40, producer: true) }
        #expect(await waitUntil { await budget.snapshot.waiting == 1 })
        await budget.freed(10, in: .output)
        _ = try await fetch.value
        #expect(await budget.snapshot.held(.raw) == 30)
    }

    @Test func filesystemWatermarksPauseAndResumeProducers() async throws {
        let level = LevelBox(0.95)
        let budget = DiskBudget(limits: BudgetLimits(total: 100, filesystemHigh: 0.9, filesystemLow: 0.8), usage: [:],
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
