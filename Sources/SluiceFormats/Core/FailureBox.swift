import Foundation

/// Collects the first failure raised on any worker thread.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: FormatError?

    func record(_ failure: FormatError) {
        lock.lock()
        if error == nil { error = failure }
        lock.unlock()
    }

    var first: FormatError? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }
}
