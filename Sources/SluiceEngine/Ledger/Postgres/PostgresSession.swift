import Foundation
import Logging
import PostgresNIO

/// One connection to the ledger's database, lent to one transaction at a time (a connection
/// runs one transaction at once; the ledger's calls are short, so they queue here rather than
/// open a pool). A connection that broke is dropped, and the next use connects again.
actor PostgresSession {
    private let location: PostgresLocation
    private let logger: Logger
    private var connection: GuardedConnection?
    private var nextID = 0
    private var busy = false
    private var queue: [CheckedContinuation<Void, Never>] = []

    init(location: PostgresLocation) {
        self.location = location
        var logger = Logger(label: "sluice.ledger.postgres")
        logger.logLevel = .critical
        self.logger = logger
    }

    /// A ledger dropped without ``close()`` closes its connection here, without waiting.
    deinit {
        if let connection { Self.closeInBackground(connection.connection) }
    }

    /// Closes `connection` without waiting; it is kept alive until it is closed.
    private static func closeInBackground(_ connection: PostgresConnection) {
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Runs `body` with the connection, after the uses before it finished.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { queue.append($0) }
        } else {
            busy = true
        }
        defer {
            if queue.isEmpty { busy = false } else { queue.removeFirst().resume() }
        }
        let connection = try await connected()
        let logger = logger
        do {
            return try await connection.run { try await body($0, logger) }
        } catch {
            if PostgresLedger.isConnectionLoss(error) { drop() }
            throw error
        }
    }

    /// Closes the connection (the next use opens a new one).
    func close() async {
        if let connection { try? await connection.connection.close() }
        connection = nil
    }

    private func drop() {
        if let connection { Self.closeInBackground(connection.connection) }
        connection = nil
    }

    private func connected() async throws -> GuardedConnection {
        if let connection, !connection.isClosed { return connection }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        nextID += 1
        let fresh = try await PostgresConnection.connect(configuration: configuration, id: nextID, logger: logger)
        do {
            try await fresh.query("SET search_path TO \(unescaped: location.schema)", logger: logger)
            // What `pg_stat_activity` shows for it: which run's worker this is.
            try await fresh.query("SET application_name TO \(unescaped: "'sluice \(location.schema)'")", logger: logger)
        } catch {
            Self.closeInBackground(fresh)
            throw error
        }
        let guarded = GuardedConnection(fresh)
        connection = guarded
        return guarded
    }
}
