public import Foundation

/// A `sluice` command that serves a dashboard (`sluice dashboard`, `sluice run --serve`),
/// started in the background: its address as it printed it, its output in files.
public final class ServedSluice: Sendable {
    public let process: Process
    /// `http://127.0.0.1:PORT` (no trailing slash).
    public let base: String
    private let output: String
    private let errors: String

    /// Starts `sluice arguments…` in `folder` (with `--port PORT` added; 0, any free one, by
    /// default) and waits, at most `timeout` seconds, for its `dashboard: URL` line.
    public init(_ arguments: [String], in folder: String, port: Int = 0, timeout: Double = 60) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SluiceBinary.path())
        process.arguments = arguments + ["--port", String(port)]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let tag = UUID().uuidString.prefix(8)
        output = folder + "/.served-\(tag).out"
        errors = folder + "/.served-\(tag).err"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let start = ContinuousClock.now
        var found: String?
        while found == nil, ContinuousClock.now - start < .seconds(timeout), process.isRunning {
            found = Self.address(in: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
            if found == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        // A command that ended before the last look printed its line all the same.
        if found == nil { found = Self.address(in: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "") }
        guard let found else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            throw ServedSluiceError(description: "sluice \(arguments.joined(separator: " ")) printed no dashboard address: \(text)")
        }
        base = found
    }

    /// The address of a `dashboard: http://HOST:PORT/` line, without its last slash.
    static func address(in text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("dashboard: ") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.map { String($0.dropLast(1)) }
    }

    /// What it printed so far on standard output and standard error.
    public var printed: (output: String, errors: String) {
        ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "", (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
    }

    /// Waits for it to end (SIGKILL after `timeout` seconds); returns its exit status.
    public func wait(timeout: Double = 120) async -> Int32 {
        let process = process
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let status = await exitStatus(of: process)
        watchdog.cancel()
        return status
    }

    /// Stops it with SIGINT and waits.
    @discardableResult
    public func stop() async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
        return await wait(timeout: 30)
    }
}

public struct ServedSluiceError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
