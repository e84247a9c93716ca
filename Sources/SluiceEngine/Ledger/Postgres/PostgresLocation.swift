public import Foundation

/// Where a PostgreSQL ledger lives: `postgres://user@host:port/database?schema=NAME`, as a
/// pipeline's `ledger:` names it. The password never appears in the file: it comes from
/// `SLUICE_PG_PASSWORD`, else from `~/.pgpass` (or `PGPASSFILE`), as PostgreSQL's own tools
/// read it; ``description`` never shows it. One database may hold many runs, each in its own
/// schema (default `sluice`).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// The server's host name or address.
    public var host: String
    /// The server's port (5432 when the URL names none).
    public var port: Int
    /// The user to connect as (the URL's, else `USER`, else `postgres`).
    public var user: String
    /// The database to connect to (the user's name when the URL names none).
    public var database: String
    /// The schema the run's tables live in.
    public var schema: String
    /// Never printed or logged.
    var password: String?

    /// Parses `text`; `environment` and `home` locate the password.
    public init(
        _ text: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        home: String = NSHomeDirectory()
    ) throws {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
            let host = url.host, !host.isEmpty
        else {
            throw LedgerError(.unavailable, "ledger '\(Self.redacted(text))' is not a URL like postgres://user@host:5432/database")
        }
        guard url.password == nil else {
            throw LedgerError(
                .unavailable,
                "the ledger URL holds a password; pipeline files are shared, so give it in SLUICE_PG_PASSWORD or ~/.pgpass instead")
        }
        self.host = host
        port = url.port ?? 5432
        user = url.user ?? environment["USER"] ?? "postgres"
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        database = path.isEmpty ? user : path
        schema = url.queryItems?.first { $0.name == "schema" }?.value ?? "sluice"
        guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw LedgerError(.unavailable, "ledger schema '\(schema)' must be lowercase letters, digits and _ (at most 63)")
        }
        password =
            environment["SLUICE_PG_PASSWORD"]
            ?? Self.passwordFile(environment["PGPASSFILE"] ?? home + "/.pgpass", host: host, port: port, database: database, user: user)
    }

    /// The URL without any password.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)?schema=\(schema)" }

    /// `text` with anything between `://` and `@` after a colon hidden.
    static func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: #"(://[^:/@]*):[^@/]*@"#, with: "$1:***@", options: .regularExpression)
    }

    /// The password `~/.pgpass` gives for this connection: the first line of
    /// `host:port:database:user:password` that matches, `*` matching anything.
    static func passwordFile(_ path: String, host: String, port: Int, database: String, user: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = []
            var field = ""
            var escaped = false
            for character in line {
                if escaped {
                    field.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == ":" && fields.count < 4 {
                    fields.append(field)
                    field = ""
                } else {
                    field.append(character)
                }
            }
            fields.append(field)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }
}
