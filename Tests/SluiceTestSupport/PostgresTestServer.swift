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

    private static func run(_ script: String, _ argument: String, output: Pipe?) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = [argument]
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

    /// A fresh schema on the server, for one test.
    public static func location(schema: String) throws -> PostgresLocation {
        guard let url, var parts = URLComponents(string: url) else {
            throw LedgerError(.unavailable, "no PostgreSQL server for the tests (scripts/services/postgres.sh start, or SLUICE_TEST_POSTGRES)")
        }
        let password = parts.password ?? ""
        parts.password = nil
        parts.queryItems = [URLQueryItem(name: "schema", value: schema)]
        return try PostgresLocation(parts.string ?? url, environment: ["SLUICE_PG_PASSWORD": password])
    }
}
