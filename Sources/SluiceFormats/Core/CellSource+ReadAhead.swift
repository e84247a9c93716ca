import Dispatch

extension CellSource {
    /// Calls `body` with each of `ranges` and its batch, in order, reading one batch ahead: while
    /// `body` works on batch k on the calling thread, batch k + 1 is read and decompressed on
    /// another, so a pass over a file costs about the larger of reading and working rather than
    /// their sum. Memory: two batches instead of one.
    ///
    /// The source is used by one thread at a time: a read starts only after the previous one has
    /// been handed over, and this returns (or throws) only after the read in flight has finished.
    public func forEachBatchReadingAhead(_ ranges: [Range<Int>], _ body: (Range<Int>, CellBatch) throws -> Void) throws {
        try forEachBatchReadingAhead(ranges, transform: body, then: { _, _ in })
    }

    /// Like ``forEachBatchReadingAhead(_:_:)``, in two steps per batch: `transform` works on the
    /// batch, which is released as soon as it returns, and `then` takes what it made — so
    /// `then` (e.g. writing files) holds the next batch in flight but no longer this one.
    public func forEachBatchReadingAhead<Made>(
        _ ranges: [Range<Int>], transform: (Range<Int>, CellBatch) throws -> Made, then: (Range<Int>, Made) throws -> Void
    ) throws {
        try forEach(ranges, aheadDoing: { range in try self.read(cells: range) }) { range, batch in
            let made = try transform(range, batch)
            try then(range, made)
        }
    }

    /// Like ``forEachBatchReadingAhead(_:transform:then:)``, but `prepare` runs on the
    /// background thread right after each read: while `then` works on what batch k made (e.g.
    /// writing it), batch k + 1 is read and prepared. Memory: a batch and two things made.
    public func forEachBatchPreparingAhead<Made>(
        _ ranges: [Range<Int>], prepare: @escaping (Range<Int>, CellBatch) throws -> Made, then: (Range<Int>, Made) throws -> Void
    ) throws {
        try forEach(ranges, aheadDoing: { range in try prepare(range, try self.read(cells: range)) }, then)
    }

    /// Runs `work` for each range on a background queue, one range ahead of `body`, which gets
    /// the results in order on the calling thread.
    private func forEach<Made>(
        _ ranges: [Range<Int>], aheadDoing work: @escaping (Range<Int>) throws -> Made, _ body: (Range<Int>, Made) throws -> Void
    ) throws {
        guard !ranges.isEmpty else { return }
        let queue = DispatchQueue(label: "sluice.read-ahead")
        var next = AheadWork(range: ranges[0], work: work, on: queue)
        defer { next.wait() }
        for (index, range) in ranges.enumerated() {
            let current = next
            if index + 1 < ranges.count {
                current.wait()
                next = AheadWork(range: ranges[index + 1], work: work, on: queue)
            }
            try body(range, try current.take())
        }
    }
}

/// One range's work (a read, and perhaps more) running on a background queue.
///
/// `@unchecked Sendable`: the work and its result cross threads only through `done` — the
/// background thread writes `result` and signals; the owner reads it after waiting — and the
/// owner does not touch the source while work is in flight (see ``CellSource/forEachBatchReadingAhead(_:_:)``).
private final class AheadWork<Made>: @unchecked Sendable {
    private let range: Range<Int>
    private let work: (Range<Int>) throws -> Made
    private var result: Result<Made, any Error>?
    private let done = DispatchSemaphore(value: 0)
    private var waited = false

    init(range: Range<Int>, work: @escaping (Range<Int>) throws -> Made, on queue: DispatchQueue) {
        self.range = range
        self.work = work
        queue.async { [self] in
            result = Result { try self.work(self.range) }
            done.signal()
        }
    }

    /// Waits for the work to finish (once; later calls return at once).
    func wait() {
        guard !waited else { return }
        done.wait()
        waited = true
    }

    /// The result, or the work's error.
    func take() throws -> Made {
        wait()
        defer { result = nil }
        return try result!.get()
    }
}
