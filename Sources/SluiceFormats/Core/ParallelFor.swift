import Dispatch
import Foundation

/// Runs parts of a job on several threads at once and returns when all are done.
///
/// The one fork/join of the data plane: it blocks the calling thread, which runs one of the
/// parts itself, so it suits CPU-bound work deep in synchronous code (it is not for async code,
/// where a blocked thread would hold up the cooperative pool).
package enum ParallelFor {
    /// Calls `body(part)` for every part in `0..<parts`, at most `parts` at once; one part runs
    /// on the caller's thread, and a single part (or none) starts no other thread.
    package static func run(parts: Int, _ body: @Sendable (_ part: Int) -> Void) {
        if parts == 1 {
            body(0)
        } else if parts > 1 {
            DispatchQueue.concurrentPerform(iterations: parts, execute: body)
        }
    }

    /// Calls `body(part, range)` with `0..<count` split into `parts` nearly equal contiguous
    /// ranges, in order (fewer when `count` is smaller; none when it is 0).
    package static func run(_ count: Int, parts: Int, _ body: @Sendable (_ part: Int, _ range: Range<Int>) -> Void) {
        let parts = partCount(count, parts)
        run(parts: parts) { body($0, range($0, of: count, parts: parts)) }
    }

    /// `0..<count` in `parts` contiguous ranges of nearly equal length, in order (fewer when
    /// `count` is smaller; none when it is 0).
    package static func split(_ count: Int, parts: Int) -> [Range<Int>] {
        let parts = partCount(count, parts)
        return (0..<parts).map { range($0, of: count, parts: parts) }
    }

    /// Range `part` of `0..<count` cut into `parts` contiguous ranges of nearly equal length;
    /// some are empty when `count < parts`.
    package static func range(_ part: Int, of count: Int, parts: Int) -> Range<Int> {
        (count * part / parts)..<(count * (part + 1) / parts)
    }

    /// The cores work is split over.
    package static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// How many non-empty ranges `0..<count` is split into: `parts` (at least 1), at most `count`.
    private static func partCount(_ count: Int, _ parts: Int) -> Int {
        min(max(1, parts), max(0, count))
    }
}
