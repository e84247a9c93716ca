import Logging
import PostgresNIO

/// The connection a ledger call runs its statements on, with shorthands for the results it reads.
struct PostgresTransaction: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    func run(_ query: PostgresQuery) async throws {
        try await connection.query(query, logger: logger)
    }

    /// Every row, decoded as `type` (the columns in order).
    func rows<each Column: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: (repeat each Column).Type) async throws -> [(repeat each Column)] {
        var result: [(repeat each Column)] = []
        for try await row in try await connection.query(query, logger: logger).decode((repeat each Column).self) { result.append(row) }
        return result
    }

    /// The one column of every row.
    func all<Value: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: Value.Type) async throws -> [Value] {
        var result: [Value] = []
        for try await value in try await connection.query(query, logger: logger).decode(Value.self) { result.append(value) }
        return result
    }

    /// The first row of a prepared statement whose rows are one text value, nil when there is no
    /// row (or the value is NULL).
    func first<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> String? where Statement.Row == String? {
        var answer: String?
        var first = true
        for try await row in try await connection.execute(statement, logger: logger) where first {
            (answer, first) = (row, false)
        }
        return answer
    }

    /// The first row's one column, nil when there is no row (or the value is NULL).
    func first<Value: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: Value.Type) async throws -> Value? where Value._DecodableType == Value {
        try await all(query, as: Value?.self).first ?? nil
    }
}
