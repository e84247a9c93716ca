import Dispatch
import Foundation

/// Work split into a few ranges, run on as many threads (one range: on the caller's thread).
enum Parallel {
    /// Runs `body(part, ranges[part])` for every part, and returns when all are done.
    static func run(_ ranges: [Range<Int>], _ body: @Sendable (_ part: Int, _ range: Range<Int>) -> Void) {
        if ranges.count == 1 {
            body(0, ranges[0])
        } else {
            DispatchQueue.concurrentPerform(iterations: ranges.count) { body($0, ranges[$0]) }
        }
    }

    /// The cores work is split over.
    static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `0..<count` in `parts` ranges of nearly equal length (fewer when `count` is smaller).
    static func split(_ count: Int, parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, count))
        return (0..<parts).map { (count * $0 / parts)..<(count * ($0 + 1) / parts) }
    }
}
