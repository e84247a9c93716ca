import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A connection whose calls fail, rather than wait for ever, when it closes under them.
///
/// A statement written just as the server drops the connection is never answered: the
/// channel's handlers are gone by then, so nothing fails its request (seen with the server's
/// `pg_terminate_backend`). So each call runs in a task of its own while the caller waits for
/// whichever comes first: the call's end, or — half a second after the connection closed —
/// the connection's loss, after which the caller connects again and the abandoned call, whose
/// transaction the server has already rolled back, is cancelled.
final class GuardedConnection: Sendable {
    let connection: PostgresConnection
    /// The connection closed while a call was using it.
    struct Lost: Error, CustomStringConvertible {
        var description: String { "the connection to PostgreSQL closed" }
    }
    /// Fails the call in progress, if any.
    private let failCurrent = Mutex<(@Sendable (any Error) -> Void)?>(nil)

    init(_ connection: PostgresConnection) {
        self.connection = connection
        // Holds this object until the connection closes.
        connection.closeFuture.whenComplete { _ in
            connection.eventLoop.scheduleTask(in: .milliseconds(500)) {
                self.failCurrent.withLock { fail in
                    fail?(Lost())
                    fail = nil
                }
            }
        }
    }

    var isClosed: Bool { connection.isClosed }

    /// Runs `body` on the connection; throws a connection loss when the connection closes first.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        guard !connection.isClosed else { throw Lost() }
        let outcome = Outcome<T>()
        return try await withCheckedThrowingContinuation { continuation in
            outcome.set(continuation)
            // The one task started unstructured per call: see the type's comment for why the
            // caller must be able to return without it.
            let work = Task { [connection, self] in
                let result = await Result(catching: { try await body(connection) })
                failCurrent.withLock { $0 = nil }
                outcome.finish(result)
            }
            failCurrent.withLock { fail in
                fail = { error in
                    work.cancel()
                    outcome.finish(.failure(error))
                }
            }
        }
    }

    /// The caller's continuation, resumed once by whichever comes first.
    private final class Outcome<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

        func set(_ waiting: CheckedContinuation<T, any Error>) { continuation.withLock { $0 = waiting } }

        func finish(_ result: Result<T, any Error>) {
            continuation.withLock { waiting in
                waiting?.resume(with: result)
                waiting = nil
            }
        }
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing call.
    fileprivate init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
