import Foundation
public import SluiceEngine

/// The PostgreSQL server ledger tests run against: `$SLUICE_TEST_POSTGRES` (a URL with its
/// password, as `scripts/services/postgres.sh start` prints it; `make test` starts that server
/// and stops it after), else the same throwaway server started here once per test process when
/// this machine can (root, PostgreSQL 15 installed). In CI the tests that need it always run:
/// with no server they fail, never skip.
public enum PostgresTestServer {
    /// The server's URL, with its password; nil when there is none.
    public static let url: String? = {
        if let url = ProcessInfo.processInfo.environment["SLUICE_TEST_POSTGRES"], !url.isEmpty { return url }
        let script = SluiceBinary.root + "/scripts/services/postgres.sh"
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/15/bin/initdb") else { return nil }
        // Started with no pipe to wait on: the server it starts outlives it.
        guard run(script, "start", output: nil) == 0 else { return nil }
        let output = Pipe()
        guard run(script, "url", output: output) == 0 else { return nil }
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    private static func run(_ script: String, _ argument: String, output: Pipe?, environment: [String: String] = [:]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = [argument]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Whether tests that need PostgreSQL run: when there is a server, and always in CI.
    public static var runs: Bool {
        if url != nil || ProcessInfo.processInfo.environment["CI"] != nil { return true }
        FileHandle.standardError.write(Data("skipped: no PostgreSQL (set SLUICE_TEST_POSTGRES, or run as root with postgresql-15 installed)\n".utf8))
        return false
    }

    /// A server of its own for a test that restarts it (restarting the shared one would cut
    /// every other test's connections): `scripts/services/postgres.sh` on `port`, with its data in
    /// a folder of its own, stopped and deleted by `stop()`.
    public struct Private: Sendable {
        /// Its URL, with the password.
        public let url: String
        private let environment: [String: String]

        /// Starts it (PostgreSQL must be installed and this process root, as for the shared one).
        public init(port: Int) throws {
            environment = ["SLUICE_PG_PORT": "\(port)", "SLUICE_PG_DIR": "/tmp/sluice-postgres-\(port)"]
            let output = Pipe()
            guard PostgresTestServer.run(SluiceBinary.root + "/scripts/services/postgres.sh", "start", output: output, environment: environment) == 0 else {
                throw LedgerError(.unavailable, "could not start a private PostgreSQL server on port \(port)")
            }
            url = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// A fresh schema on it.
        public func location(schema: String) throws -> PostgresLocation { try PostgresTestServer.location(url: url, schema: schema) }

        /// Restarts it (a fast shutdown: every client loses its connection); false when it did not come back.
        public func restart() -> Bool {
            PostgresTestServer.run(SluiceBinary.root + "/scripts/services/postgres.sh", "restart", output: nil, environment: environment) == 0
        }

        /// Stops it, keeping its data (its role and password too) for `resume()`.
        public func halt() -> Bool {
            PostgresTestServer.run(SluiceBinary.root + "/scripts/services/postgres.sh", "halt", output: nil, environment: environment) == 0
        }

        /// Starts it again after `halt()`, as it was.
        public func resume() -> Bool {
            PostgresTestServer.run(SluiceBinary.root + "/scripts/services/postgres.sh", "start", output: nil, environment: environment) == 0
        }

        /// Stops it and deletes its data.
        public func stop() {
            _ = PostgresTestServer.run(SluiceBinary.root + "/scripts/services/postgres.sh", "stop", output: nil, environment: environment)
        }
    }

    /// A fresh schema on the server, for one test.
    public static func location(schema: String) throws -> PostgresLocation {
        guard let url else {
            throw LedgerError(.unavailable, "no PostgreSQL server for the tests (scripts/services/postgres.sh start, or SLUICE_TEST_POSTGRES)")
        }
        return try location(url: url, schema: schema)
    }

    /// A schema on the server at `url` (with its password).
    static func location(url: String, schema: String) throws -> PostgresLocation {
        guard var parts = URLComponents(string: url) else { throw LedgerError(.unavailable, "the test server's URL is not a URL") }
        let password = parts.password ?? ""
        parts.password = nil
        parts.queryItems = [URLQueryItem(name: "schema", value: schema)]
        return try PostgresLocation(parts.string ?? url, environment: ["SLUICE_PG_PASSWORD": password])
    }
}
