import Foundation

/// `scripts/services/http-proxy.py` on 127.0.0.1: a forwarding HTTP proxy (CONNECT tunnels and
/// absolute-form requests) that logs each request line, for tests of proxied downloads.
public final class TestProxy: Sendable {
    /// The port it listens on.
    public let port: Int
    /// Its log: one request line per request.
    public let log: String
    private let process: Process

    private init(port: Int, log: String, process: Process) {
        self.port = port
        self.log = log
        self.process = process
    }

    /// Starts one that logs to `log` (and wants `user` as `NAME:PASSWORD`, when given).
    public static func start(log: String, user: String? = nil) async throws -> TestProxy {
        let started = try await ScriptService.start("http-proxy.py", arguments: [log] + (user.map { ["--user", $0] } ?? []), portFile: log + ".port")
        return TestProxy(port: started.port, log: log, process: started.process)
    }

    /// The request lines it has seen.
    public var requests: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Stops it (``ScriptService/stop(_:)``).
    public func stop() async { await ScriptService.stop(process) }
}
