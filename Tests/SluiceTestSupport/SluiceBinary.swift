import Foundation

/// The real `sluice` binary, built next to the tests (`swift build --product sluice`), and a way
/// to run it as a user would and read what it said.
public enum SluiceBinary {
    /// The package root, found relative to this source file.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `$SLUICE_BINARY`, else `.build/debug/sluice`.
    public static func path() throws -> String {
        let candidates = [ProcessInfo.processInfo.environment["SLUICE_BINARY"], root + "/.build/debug/sluice"].compactMap { $0 }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BinaryMissing(candidates: candidates)
        }
        return found
    }

    /// What one run printed and how it ended.
    public struct Outcome: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    /// Runs `sluice arguments…` in `folder` with no input, and waits for it (at most `timeout` s,
    /// then it is killed and the status is that of the kill). `environment` changes this
    /// process's environment for it (nil removes a variable).
    public static func run(
        _ arguments: [String], in folder: String, timeout: Double = 120, environment: [String: String?] = [:]
    ) async throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path())
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment
        for (name, value) in environment { variables[name] = value }
        process.environment = variables
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let output = folder + "/.stdout-\(UUID().uuidString)"
        let errors = folder + "/.stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: errors)
        }
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let status = await exitStatus(of: process)
        watchdog.cancel()
        try outHandle.close()
        try errHandle.close()
        return Outcome(
            status: status,
            standardOutput: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
    }

    public struct BinaryMissing: Error, CustomStringConvertible {
        let candidates: [String]
        public var description: String {
            "the sluice binary is not built; run `swift build --product sluice` first (looked in \(candidates))"
        }
    }
}
