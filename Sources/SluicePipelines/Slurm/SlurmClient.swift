import Foundation
import SluiceEngine
import Subprocess
import SystemPackage

/// SLURM through its own command-line tools, `sbatch`, `squeue` and `scancel`, each run with an
/// argument vector (never a shell line): a value can never be read as a command.
public struct SlurmClient: Sendable {
    /// The user whose jobs `queue()` lists.
    public let user: String

    /// A client for this process's user.
    public init() {
        user = getpwuid(geteuid()).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "\(geteuid())"
    }

    /// Whether `sbatch` and `squeue` are on the PATH.
    public static var isInstalled: Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return ["sbatch", "squeue"].allSatisfy { tool in
            path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        }
    }

    /// Submits the batch script `script` with `options` (before the script) and `arguments`
    /// (after it: the script's own); returns the job id.
    public func submit(script: String, options: [String], arguments: [String] = []) async throws -> String {
        let output = try await run("sbatch", ["--parsable"] + options + [script] + arguments)
        // `--parsable` prints `ID` or `ID;CLUSTER`.
        guard let id = output.split(separator: "\n").last?.split(separator: ";").first.map(String.init), !id.isEmpty,
            id.allSatisfy(\.isNumber)
        else {
            throw StageError(code: "slurm.sbatch", "sbatch answered '\(output.trimmingCharacters(in: .whitespacesAndNewlines))' instead of a job id")
        }
        return id
    }

    /// Every job of the user in the queue, array tasks one by one: one `squeue` call, with no
    /// partition filter (a job moved to another partition is still found).
    public func queue() async throws -> [SlurmJob] {
        let output = try await run("squeue", ["--noheader", "--array", "--user=\(user)", "--format=%i|%F|%j|%T"])
        return output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4 else { return nil }
            return SlurmJob(id: fields[0].trimmingCharacters(in: .whitespaces), arrayID: fields[1], name: fields[2], state: fields[3])
        }
    }

    /// What SLURM's accounting recorded of a job that left the queue: its state and exit code;
    /// nil where `sacct` is missing, accounting is not kept, or the job is not found there.
    public func accounting(of id: String) async -> (state: String, exitCode: Int32)? {
        guard let output = try? await run("sacct", ["--noheader", "--parsable2", "--allocations", "--jobs=\(id)", "--format=State,ExitCode"]),
            let line = output.split(separator: "\n").first
        else { return nil }
        let fields = line.split(separator: "|").map(String.init)
        guard fields.count == 2, let code = fields[1].split(separator: ":").first.flatMap({ Int32($0) }) else { return nil }
        return (fields[0].split(separator: " ").first.map(String.init) ?? fields[0], code)
    }

    /// Cancels jobs (whole arrays, or single array tasks `123_4`); `signal` sends that signal
    /// instead of ending them.
    public func cancel(_ ids: [String], signal: String? = nil) async throws {
        guard !ids.isEmpty else { return }
        _ = try await run("scancel", (signal.map { ["--signal=\($0)", "--batch"] } ?? []) + ids)
    }

    /// Runs a SLURM tool; returns its standard output, or throws its error's last line.
    private func run(_ tool: String, _ arguments: [String]) async throws -> String {
        let status: TerminationStatus
        let output: String
        let errors: String
        do {
            let result = try await Subprocess.run(
                .name(tool), arguments: Arguments(arguments), output: .string(limit: 16 << 20), error: .string(limit: 1 << 20))
            (status, output, errors) = (result.terminationStatus, result.standardOutput, result.standardError)
        } catch {
            throw StageError(code: "slurm.missing", "cannot run \(tool) (is SLURM's client installed and on the PATH?): \(error)")
        }
        guard case .exited(0) = status else {
            let message = errors.split(separator: "\n").last.map(String.init) ?? "\(status)"
            throw StageError(code: "slurm.\(tool)", "\(tool) failed: \(message)", transient: true)
        }
        return output
    }
}
