import Synchronization

/// Collects the first failure raised on any worker thread.
final class FailureBox: Sendable {
    private let error = Mutex<FormatError?>(nil)

    func record(_ failure: FormatError) {
        error.withLock { if $0 == nil { $0 = failure } }
    }

    var first: FormatError? { error.withLock { $0 } }
}
