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
        guard !ranges.isEmpty else { return }
        let queue = DispatchQueue(label: "sluice.read-ahead")
        var next = BatchRead(source: self, range: ranges[0], on: queue)
        defer { next.wait() }
        for (index, range) in ranges.enumerated() {
            let current = next
            if index + 1 < ranges.count {
                current.wait()
                next = BatchRead(source: self, range: ranges[index + 1], on: queue)
            }
            let made = try transform(range, try current.take())
            try then(range, made)
        }
    }
}

/// One batch being read on a background queue.
///
/// `@unchecked Sendable`: the source and the result cross threads only through `done` — the
/// reading thread writes `result` and signals; the owner reads it after waiting — and the owner
/// does not touch the source while a read is in flight (see ``CellSource/forEachBatchReadingAhead(_:_:)``).
private final class BatchRead: @unchecked Sendable {
    private let source: any CellSource
    private let range: Range<Int>
    private var result: Result<CellBatch, any Error>?
    private let done = DispatchSemaphore(value: 0)
    private var waited = false

    init(source: any CellSource, range: Range<Int>, on queue: DispatchQueue) {
        self.source = source
        self.range = range
        queue.async { [self] in
            result = Result { try self.source.read(cells: self.range) }
            done.signal()
        }
    }

    /// Waits for the read to finish (once; later calls return at once).
    func wait() {
        guard !waited else { return }
        done.wait()
        waited = true
    }

    /// The batch, or the read's error.
    func take() throws -> CellBatch {
        wait()
        defer { result = nil }
        return try result!.get()
    }
}
