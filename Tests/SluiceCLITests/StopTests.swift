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
    /// While the file `slow` exists in the folder the child sleeps; without it the stage is done at once.
    /// With `ignoringTerm`, the program and its child ignore SIGTERM (so a graceful stop waits
    /// two seconds before it kills them).
    static func pipeline(_ folder: TemporaryDirectory, ignoringTerm: Bool = false) throws -> (pipeline: String, childPID: String) {
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        try "data\n".write(toFile: folder.file("in/a.txt"), atomically: true, encoding: .utf8)
        try "".write(toFile: folder.file("slow"), atomically: true, encoding: .utf8)
        let pidFile = folder.file("child.pid")
        // `trap '' TERM` (quotes doubled inside YAML's single quotes): ignored, also by the child.
        let trap = ignoringTerm ? "trap '''' TERM; " : ""
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command: {name: slow, argv: [sh, -c, '\(trap)if [ -e "$1" ]; then sleep 300 & echo $! > "$0"; wait; fi', "\(pidFile)", "\(folder.file("slow"))"]}
            """
        try yaml.write(toFile: folder.file("pipeline.yaml"), atomically: true, encoding: .utf8)
        return (folder.file("pipeline.yaml"), pidFile)
    }

    /// Launches `sluice run` and waits until the stage's child is running; returns both.
    static func start(_ pipeline: String, childPID: String, in folder: String, output: String? = nil) async throws -> (Process, pid_t) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SluiceBinary.path())
        process.arguments = ["run", "--quiet", pipeline]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        if let output {
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: output)
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
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

    /// Whether `pid` ends within five seconds. It is only watched, never signalled: once it has
    /// ended, its id may belong to another process.
    static func ends(_ pid: pid_t) async throws -> Bool {
        for _ in 0..<100 {
            if !isRunning(pid) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("the first SIGINT stops a command stage's program and its children, and exits 130")
    func interruptStopsTheProcessGroup() async throws {
        let folder = try TemporaryDirectory("sluice-stop")
        let (pipeline, pidFile) = try Self.pipeline(folder)
        let (process, child) = try await Self.start(pipeline, childPID: pidFile, in: folder.path)
        #expect(isRunning(child))
        kill(process.processIdentifier, SIGINT)
        let status = await exitStatus(of: process)
        #expect(status == 130)
        var gone = false
        for _ in 0..<100 where !gone {
            gone = !isRunning(child)
            if !gone { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(gone, "the stage's child \(child) is still running after the run stopped")
        if !gone { kill(child, SIGKILL) }
    }

    @Test("a second SIGINT kills the programs at once, exits 130, and the next run finishes what was in flight")
    func secondInterruptStopsAtOnce() async throws {
        let folder = try TemporaryDirectory("sluice-stop")
        // The program ignores SIGTERM: after the first SIGINT the run would wait two seconds to kill it.
        let (pipeline, pidFile) = try Self.pipeline(folder, ignoringTerm: true)
        let output = folder.file("run.out")
        let (process, child) = try await Self.start(pipeline, childPID: pidFile, in: folder.path, output: output)
        // Both signals, 300 ms apart, from a thread of its own: on Swift's busy cooperative pool a
        // 300 ms sleep may outlast the two seconds the first SIGINT waits.
        let (running, childAlive) = try await offThePool {
            kill(process.processIdentifier, SIGINT)
            Thread.sleep(forTimeInterval: 0.3)
            let seen = (process.isRunning, isRunning(child))
            kill(process.processIdentifier, SIGINT)
            return seen
        }
        #expect(running, "the first SIGINT did not wait for the program that ignores SIGTERM")
        #expect(childAlive)
        #expect(await exitStatus(of: process) == 130)
        // Cancelled, not finished gracefully: no summary.
        let printed = try String(contentsOfFile: output, encoding: .utf8)
        #expect(!printed.contains("items done"), "\(printed)")
        #expect(!isRunning(child), "the stage's child \(child) is still running after the second SIGINT")
        if isRunning(child) { kill(child, SIGKILL) }
        try FileManager.default.removeItem(atPath: folder.file("slow"))
        let again = try await SluiceBinary.run(["run", "--quiet", pipeline], in: folder.path)
        #expect(again.status == 0, "\(again.standardOutput)\(again.standardError)")
        #expect(again.standardOutput.contains("1 of 1 items done"), "\(again.standardOutput)")
    }

    @Test("after kill -9, the stage's program and its children end by themselves within seconds")
    func killNineTakesTheProgramsAlong() async throws {
        let folder = try TemporaryDirectory("sluice-stop")
        let (pipeline, pidFile) = try Self.pipeline(folder)
        let (process, child) = try await Self.start(pipeline, childPID: pidFile, in: folder.path)
        kill(process.processIdentifier, SIGKILL)
        _ = await exitStatus(of: process)
        // No next run stops them (a worker on another node could not): `sluice measure`, which
        // started the program, sees the run gone within a second and ends its process group.
        #expect(try await Self.ends(child), "the stage's child \(child) still runs five seconds after its run was killed")
    }

    @Test("after kill -9, status shows the dead run's tasks as interrupted")
    func statusAfterKillNine() async throws {
        let folder = try TemporaryDirectory("sluice-stop")
        let (pipeline, pidFile) = try Self.pipeline(folder)
        let (process, child) = try await Self.start(pipeline, childPID: pidFile, in: folder.path)
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
        // The orphaned program ends by itself (killNineTakesTheProgramsAlong); nothing here kills
        // by its old process id, which the system may have given to another test's process.
        #expect(try await Self.ends(child))
    }
}

struct StopTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
