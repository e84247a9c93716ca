import Foundation
import SluiceTestSupport
import Testing

/// Stopping a run: the first SIGINT stops the programs of command stages with everything they
/// started (their process group) and exits 130; after a `kill -9`, `sluice status` says the
/// run's tasks are interrupted, not running.
@Suite("Stopping runs", .serialized)
struct StopTests {
    /// A pipeline whose command stage starts a child (`sleep`) from a shell and writes the
    /// child's pid where the test can read it.
    static func pipeline(_ folder: TemporaryDirectory) throws -> (pipeline: String, childPID: String) {
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        try "data\n".write(toFile: folder.file("in/a.txt"), atomically: true, encoding: .utf8)
        let pidFile = folder.file("child.pid")
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command: {name: slow, argv: [sh, -c, 'sleep 300 & echo $! > "$0"; wait', "\(pidFile)"]}
            """
        try yaml.write(toFile: folder.file("pipeline.yaml"), atomically: true, encoding: .utf8)
        return (folder.file("pipeline.yaml"), pidFile)
    }

    /// Launches `sluice run` and waits until the stage's child is running; returns both.
    static func start(_ pipeline: String, childPID: String, in folder: String) async throws -> (Process, pid_t) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SluiceBinary.path())
        process.arguments = ["run", "--quiet", pipeline]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<300 {
            if let text = try? String(contentsOfFile: childPID, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return (process, pid)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw StopTestError("the command stage's child never started")
    }

    /// Whether `pid` is a live process (a zombie waiting for its parent counts as gone).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        return state != "Z" && state != "X"
    }

    @Test("the first SIGINT stops a command stage's program and its children, and exits 130")
    func interruptStopsTheProcessGroup() async throws {
        let folder = try TemporaryDirectory("sluice-stop")
        let (pipeline, pidFile) = try Self.pipeline(folder)
        let (process, child) = try await Self.start(pipeline, childPID: pidFile, in: folder.path)
        #expect(Self.isAlive(child))
        kill(process.processIdentifier, SIGINT)
        let status = await exitStatus(of: process)
        #expect(status == 130)
        var gone = false
        for _ in 0..<100 where !gone {
            gone = !Self.isAlive(child)
            if !gone { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(gone, "the stage's child \(child) is still running after the run stopped")
        if !gone { kill(child, SIGKILL) }
    }

    @Test("after kill -9, status shows the dead run's tasks as interrupted")
    func statusAfterKillNine() async throws {
        let folder = try TemporaryDirectory("sluice-stop")
        let (pipeline, pidFile) = try Self.pipeline(folder)
        let (process, child) = try await Self.start(pipeline, childPID: pidFile, in: folder.path)
        defer { kill(-getpgid(child), SIGKILL) }  // the orphaned program: kill -9 gives it no chance to be stopped
        let live = try await SluiceBinary.run(["status", pipeline], in: folder.path)
        #expect(live.standardOutput.contains("Running:"), "\(live.standardOutput)")
        kill(process.processIdentifier, SIGKILL)
        _ = await exitStatus(of: process)
        let dead = try await SluiceBinary.run(["status", pipeline], in: folder.path)
        #expect(dead.status == 0)
        #expect(dead.standardOutput.contains("interrupted"), "\(dead.standardOutput)")
        #expect(dead.standardOutput.contains("Interrupted (no sluice run holds the workspace"))
        #expect(!dead.standardOutput.contains("Running:"))
        let json = try await SluiceBinary.run(["status", "--json", pipeline], in: folder.path)
        #expect(json.standardOutput.contains("\"state\" : \"interrupted\""), "\(json.standardOutput)")
    }
}

struct StopTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
