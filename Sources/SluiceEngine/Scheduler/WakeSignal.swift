import Synchronization

/// Wakes idle workers when the ledger changed (a task finished, failed or was retried), with a
/// time limit so that retries whose back-off ends are noticed too.
final class WakeSignal: Sendable {
    private struct State {
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Timers that fired before their waiter was stored.
        var early: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())

    /// Resumes every waiting worker.
    func notifyAll() {
        let waiting = state.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns when notified or after `seconds`, whichever comes first.
    func wait(atMost seconds: Double) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let timer = Task {
            do {
                try await Task.sleep(for: .seconds(seconds))
                self.fire(id)
            } catch {}
        }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.early.remove(id) != nil { return true }
                state.waiters[id] = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
    }

    private func fire(_ id: Int) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let continuation = state.waiters.removeValue(forKey: id) { return continuation }
            state.early.insert(id)
            return nil
        }
        continuation?.resume()
    }
}
