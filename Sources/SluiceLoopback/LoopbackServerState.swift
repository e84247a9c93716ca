import NIOCore
import Synchronization

/// The server's shared, lock-protected bookkeeping: per-path request counts and the open connections.
///
/// Child channels register themselves here so that ``LoopbackServer/shutdown()`` can close every
/// connection, including ones parked on the `/hang/` route.
final class LoopbackServerState: Sendable {
    private struct Storage {
        var requestCounts: [String: Int] = [:]
        var connections: [ObjectIdentifier: any Channel] = [:]
        var isShuttingDown = false
    }

    private let storage = Mutex(Storage())

    /// Records one request for `path` and returns how many requests for it came before this one.
    func recordRequest(_ path: String) -> Int {
        storage.withLock { storage in
            let previous = storage.requestCounts[path, default: 0]
            storage.requestCounts[path] = previous + 1
            return previous
        }
    }

    /// The number of requests seen so far for `path`.
    func requestCount(_ path: String) -> Int {
        storage.withLock { $0.requestCounts[path, default: 0] }
    }

    /// Tracks `channel` until it closes; returns false (and tracks nothing) once shutdown has begun.
    func register(_ channel: any Channel) -> Bool {
        let accepted = storage.withLock { storage in
            guard !storage.isShuttingDown else { return false }
            storage.connections[ObjectIdentifier(channel)] = channel
            return true
        }
        if accepted {
            channel.closeFuture.whenComplete { [self] _ in
                storage.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return accepted
    }

    /// Marks the server as shutting down and hands back the connections still open,
    /// or nil when shutdown had already begun.
    func beginShutdown() -> [any Channel]? {
        storage.withLock { storage in
            guard !storage.isShuttingDown else { return nil }
            storage.isShuttingDown = true
            return Array(storage.connections.values)
        }
    }
}
