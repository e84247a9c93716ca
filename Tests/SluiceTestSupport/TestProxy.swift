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

    /// Starts one that logs to `log` (and wants `user` as `NAME:PASSWORD`, when given). Its
    /// port comes through a file, not a pipe: a process another test starts meanwhile may
    /// inherit a pipe's end.
    public static func start(log: String, user: String? = nil) async throws -> TestProxy {
        let said = log + ".port"
        guard FileManager.default.createFile(atPath: said, contents: nil), let handle = FileHandle(forWritingAtPath: said) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot write \(said)"])
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", SluiceBinary.root + "/scripts/services/http-proxy.py", log] + (user.map { ["--user", $0] } ?? [])
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
        for _ in 0..<200 {
            let text = (try? String(contentsOfFile: said, encoding: .utf8)) ?? ""
            if text.hasSuffix("\n"), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return TestProxy(port: port, log: log, process: process)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(process.processIdentifier, SIGKILL)
        _ = await exitStatus(of: process)
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the test proxy did not say its port within 10 s"])
    }

    /// The request lines it has seen.
    public var requests: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Stops it (SIGKILL: a test process may have left SIGTERM ignored, which children
    /// inherit), waiting off the cooperative pool.
    public func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        _ = await exitStatus(of: process)
    }
}
