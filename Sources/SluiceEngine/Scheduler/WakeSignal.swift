import Synchronization

/// Wakes waiting tasks: `notifyAll` wakes those waiting now (idle workers, when the ledger
/// changed); `open` wakes them and every later waiter too (the run's stop). Every wait ends
/// early when its task is cancelled.
final class WakeSignal: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waits cancelled before their continuation was stored.
        var cancelled: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())

    /// Resumes every waiting task.
    func notifyAll() {
        let waiting = state.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Resumes every waiting task, and from now on `wait` returns at once.
    func open() {
        state.withLock { $0.isOpen = true }
        notifyAll()
    }

    /// Returns when notified (or open), or when the task is cancelled.
    func wait() async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.isOpen || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            // A cancellation that raced with the wake-up leaves nothing behind.
            state.withLock { _ = $0.cancelled.remove(id) }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let continuation = state.waiters.removeValue(forKey: id) { return continuation }
                state.cancelled.insert(id)
                return nil
            }
            continuation?.resume()
        }
    }

    /// Returns when notified or after `seconds`, whichever comes first.
    func wait(atMost seconds: Double) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            group.addTask { await self.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}
