import Foundation

/// A test service that is a script in `scripts/services/` (a proxy, a loopback Hub): started
/// with python3, it prints the port it listens on, then serves until killed.
enum ScriptService {
    /// Starts `script` with `arguments` and returns it with its port, which comes through
    /// `portFile`, not a pipe: a process another test starts meanwhile may inherit a pipe's end.
    static func start(_ script: String, arguments: [String], portFile: String) async throws -> (process: Process, port: Int) {
        guard FileManager.default.createFile(atPath: portFile, contents: nil), let handle = FileHandle(forWritingAtPath: portFile) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot write \(portFile)"])
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", SluiceBinary.root + "/scripts/services/" + script] + arguments
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
        for _ in 0..<200 {
            let text = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? ""
            if text.hasSuffix("\n"), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return (process, port) }
            try await Task.sleep(for: .milliseconds(50))
        }
        await stop(process)
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(script) did not say its port within 10 s"])
    }

    /// Stops `process` (SIGKILL: a test process may have left SIGTERM ignored, which children
    /// inherit), waiting off the cooperative pool.
    static func stop(_ process: Process) async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        _ = await exitStatus(of: process)
    }
}
