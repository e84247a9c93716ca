import Foundation
import SluiceTestSupport
import Testing

/// `sluice bench ledger` makes every transition it reports, on SQLite and on PostgreSQL, with
/// several workers at once, and leaves nothing behind.
@Suite struct BenchLedgerTests {
    private func run(_ extra: [String], environment: [String: String?] = [:]) async throws -> [String: Any] {
        let folder = try TemporaryDirectory("sluice-bench")
        let outcome = try await SluiceBinary.run(
            ["bench", "ledger", "--items", "60", "--json", "--folder", folder.path] + extra, in: folder.path, environment: environment)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.isEmpty)
        return try #require(try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any])
    }

    @Test func sqliteWithOneAndThreeWorkers() async throws {
        for workers in [1, 3] {
            let result = try await run(["--workers", "\(workers)"])
            #expect(result["transitions"] as? Int == 120)
            #expect(result["workers"] as? Int == workers)
            #expect((result["transitions_per_second"] as? Double ?? 0) > 0)
        }
    }

    @Test(.enabled(if: PostgresTestServer.runs, "skipped: no PostgreSQL"))
    func postgresWithThreeWorkers() async throws {
        let url = try #require(PostgresTestServer.url.flatMap(URLComponents.init(string:)))
        let ledger = "postgres://\(url.user ?? "")@\(url.host ?? ""):\(url.port ?? 5432)\(url.path)"
        let result = try await run(["--workers", "3", "--ledger", ledger], environment: ["SLUICE_PG_PASSWORD": url.password])
        #expect(result["transitions"] as? Int == 120)
        #expect(result["ledger"] as? String == "postgres")
    }
}
