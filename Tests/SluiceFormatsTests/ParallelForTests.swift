import SluiceFormats
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The parts of a parallel-for cover the work once, in order, and a single part stays on the
/// calling thread.
@Suite("Parallel for")
struct ParallelForTests {
    @Test(
        "every index is visited exactly once, in contiguous ranges in order",
        arguments: [
            (1, 1), (10, 1), (10, 3), (10, 10), (1_000, 7), (7, 16), (3, 100),
        ])
    func visitsEveryIndexOnce(count: Int, parts: Int) {
        let visits = Mutex([Int](repeating: 0, count: count))
        let ranges = Mutex([Int: Range<Int>]())
        ParallelFor.run(count, parts: parts) { part, range in
            visits.withLock { for index in range { $0[index] += 1 } }
            ranges.withLock { $0[part] = range }
        }
        #expect(visits.withLock { $0 } == [Int](repeating: 1, count: count))
        let given = ranges.withLock { $0 }
        #expect(given.count == min(parts, count))
        let inOrder = (0..<given.count).compactMap { given[$0] }
        #expect(inOrder == ParallelFor.split(count, parts: parts))
        #expect(inOrder.first?.lowerBound == 0)
        #expect(inOrder.last?.upperBound == count)
        #expect(zip(inOrder, inOrder.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(inOrder.allSatisfy { !$0.isEmpty })
        let lengths = inOrder.map(\.count)
        #expect(lengths.max()! - lengths.min()! <= 1)
    }

    @Test("more parts than indices gives one part an index")
    func morePartsThanCount() {
        #expect(ParallelFor.split(3, parts: 8) == [0..<1, 1..<2, 2..<3])
        let lengths = Mutex([Int]())
        ParallelFor.run(3, parts: 8) { _, range in lengths.withLock { $0.append(range.count) } }
        #expect(lengths.withLock { $0 } == [1, 1, 1])
    }

    @Test("a count of zero, or no parts, runs nothing")
    func nothingToDo() {
        let calls = Mutex(0)
        ParallelFor.run(0, parts: 4) { _, _ in calls.withLock { $0 += 1 } }
        ParallelFor.run(parts: 0) { _ in calls.withLock { $0 += 1 } }
        #expect(calls.withLock { $0 } == 0)
        #expect(ParallelFor.split(0, parts: 4).isEmpty)
    }

    @Test("every part of run(parts:) runs once")
    func everyPartOnce() {
        let seen = Mutex([Int]())
        ParallelFor.run(parts: 9) { part in seen.withLock { $0.append(part) } }
        #expect(seen.withLock { $0 }.sorted() == Array(0..<9))
    }

    @Test("a single part runs on the calling thread")
    func singlePartOnCaller() {
        let caller = pthread_self()
        let sameThread = Mutex([Bool]())
        ParallelFor.run(parts: 1) { _ in sameThread.withLock { $0.append(pthread_equal(pthread_self(), caller) != 0) } }
        ParallelFor.run(100, parts: 1) { _, range in
            sameThread.withLock { $0.append(pthread_equal(pthread_self(), caller) != 0 && range == 0..<100) }
        }
        #expect(sameThread.withLock { $0 } == [true, true])
    }

    @Test("range(_:of:parts:) leaves empty parts when there are more parts than indices")
    func rangesOfEveryPart() {
        #expect((0..<4).map { ParallelFor.range($0, of: 2, parts: 4) } == [0..<0, 0..<1, 1..<1, 1..<2])
        #expect((0..<3).map { ParallelFor.range($0, of: 10, parts: 3) } == [0..<3, 3..<6, 6..<10])
    }
}
