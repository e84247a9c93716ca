import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real Prometheus server (Debian's `prometheus`, which `scripts/bootstrap` installs) started
/// for one test: its own folder, port and configuration, scraping one target every second;
/// stopped and removed by ``stop()``.
public final class PrometheusServer: Sendable {
    /// Where Debian installs it.
    public static let program = "/usr/bin/prometheus"

    /// Whether tests that need it run: when it is installed, and always in CI (where a missing
    /// one fails them rather than skips them).
    public static var runs: Bool {
        FileManager.default.isExecutableFile(atPath: program) || ProcessInfo.processInfo.environment["CI"] != nil
    }

    private let process: Process
    private let folder: String
    /// `http://127.0.0.1:PORT`.
    public let base: String

    /// Starts Prometheus scraping `target` (`HOST:PORT`) at `path` every second as job `sluice`,
    /// and waits (at most 60 s) until it is ready.
    public init(scraping target: String, path: String = "/metrics") async throws {
        folder = NSTemporaryDirectory() + "sluice-prometheus-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        let configuration = """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: sluice
                metrics_path: \(path)
                static_configs: [{targets: ["\(target)"]}]
            """
        try configuration.write(toFile: folder + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = try LoopbackSocket.freePort()
        base = "http://127.0.0.1:\(port)"
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.program)
        process.arguments = [
            "--config.file=\(folder)/prometheus.yml", "--storage.tsdb.path=\(folder)/data", "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ]
        _ = FileManager.default.createFile(atPath: folder + "/log", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/log"))
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(60) {
            if !process.isRunning { break }
            if (try? await httpGet(base + "/-/ready"))?.status == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        let log = (try? String(contentsOfFile: folder + "/log", encoding: .utf8)) ?? ""
        await stop()
        throw ServedSluiceError(description: "Prometheus did not become ready: \(log.suffix(2000))")
    }

    /// The result of an instant PromQL query: each series' labels and value.
    public func query(_ promql: String) async throws -> [(labels: [String: String], value: Double)] {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "query", value: promql)]
        let answer = try await httpGet(base + "/api/v1/query" + (components.string ?? ""))
        guard let json = try JSONSerialization.jsonObject(with: answer.data) as? [String: Any],
            let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else { throw ServedSluiceError(description: "Prometheus answered \(String(decoding: answer.data, as: UTF8.self))") }
        return result.compactMap { series in
            guard let value = series["value"] as? [Any], value.count == 2, let text = value[1] as? String, let number = Double(text) else { return nil }
            return (series["metric"] as? [String: String] ?? [:], number)
        }
    }

    /// Stops it and removes its folder.
    public func stop() async {
        if process.isRunning { process.terminate() }
        _ = await exitStatus(of: process)
        try? FileManager.default.removeItem(atPath: folder)
    }
}
