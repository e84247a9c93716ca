import Foundation
public import SluiceEngine
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs an external program per item, per batch of items, or once per group (rule 6, DESIGN.md):
/// an argv array with `{in}`, `{out}`, `{outs}`, `{item}`, `{group}`, `{ref}` expanded to
/// absolute paths and wildcards expanded by Sluice (sorted), never a shell; a timeout; stdout
/// and stderr appended to `logs/<item>/<stage>.log`; and the declared outputs must exist and be
/// non-empty, since exit status 0 alone is not trusted.
public struct CommandStage: ConfigurableStage {
    public static let kind = "command"
    public let header: StageHeader
    public let options: CommandStageOptions

    public init(header: StageHeader, options: StageOptions) throws {
        self.init(header: header, command: try CommandStageOptions(options))
    }

    /// A command stage with options made in code (the analyze and preprocess stages run as one).
    public init(header: StageHeader, command: CommandStageOptions) {
        self.header = header
        self.options = command
    }

    public var scheduling: StageScheduling { options.scheduling }
    public var outputArea: Area? { options.area }
    public var consumesInputs: Bool { options.deleteInputs }

    public func outputFolder(item: String, isGroup: Bool) -> String? {
        isGroup ? "\(options.area.rawValue)/groups/\(item)/\(name)" : "\(options.area.rawValue)/\(item)/\(name)"
    }

    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 {
        options.reserveBytes ?? Int64(Double(inputBytes) * options.outputRatio)
    }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        let arguments = try CommandLineTemplate(argv: options.argv, reference: options.reference).expand(units)
        let logPath = units[0].logFolder + "/\(name).log"
        try FileManager.default.createDirectory(atPath: units[0].logFolder, withIntermediateDirectories: true)
        let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StageError(code: "command.log", "cannot open the log \(logPath)") }
        defer { close(fd) }
        let shown = arguments.joined(separator: " ")
        _ = "$ \(shown)\n".withCString { write(fd, $0, strlen($0)) }

        let folders = units.compactMap(\.partialOutput)
        let limit = Self.outputLimit(reserved: await context.reservedBytes())
        // Run by `sluice measure` where this process is the sluice binary, so that the trace
        // shows what the program used.
        let measuring = Self.runningSluice()
        let usage = measuring.map { _ in NSTemporaryDirectory() + "/sluice-usage-\(UUID().uuidString).json" }
        if measuring != nil, !Self.canStart(arguments[0], in: units[0].partialOutput) {
            throw StageError(code: "command.not-found", "the program '\(arguments[0])' was not found\(arguments[0].contains("/") ? "" : " on PATH")")
        }
        defer {
            if let usage {
                if let measured = ProcessUsage.read(from: usage) { context.record(measured) }
                try? FileManager.default.removeItem(atPath: usage)
            }
        }
        let status = try await launch(
            measuring.map { [$0, "measure", "--usage", usage!, "--"] + arguments } ?? arguments, program: arguments[0], logDescriptor: fd,
            workingDirectory: units[0].partialOutput, watching: folders, limit: limit)
        // A program that wrote too much and ended before the next look is caught here.
        try checkSizes(folders, limit: limit, program: arguments[0])
        guard status.isSuccess else {
            let tail = Self.lastLine(of: logPath).map { " — last output: \"\($0)\"" } ?? ""
            switch status {
            case .exited(let code):
                throw StageError(code: "command.exit-status", "\(arguments[0]) exited with status \(code); see \(logPath)\(tail)")
            case .signaled(let signal):
                // Stopped from outside — a scheduler's scancel or time limit, the OOM killer, an
                // operator — not by what it read: worth another attempt.
                let outside = Self.signalsFromOutside.contains(signal)
                throw StageError(
                    code: outside ? "command.killed" : "command.exit-status",
                    "\(arguments[0]) was killed by signal \(signal); see \(logPath)\(tail)", transient: outside)
            }
        }
        for unit in units { try Self.checkOutputs(unit, patterns: options.outputs, program: arguments[0]) }
    }

    /// Signals that stop a program from outside — a scheduler's scancel or time limit, the OOM
    /// killer, an operator — rather than for what it read: worth another attempt.
    static let signalsFromOutside: Set<Int32> = [SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGUSR1]

    /// What a program may write into its output folders before it is stopped: its reservation
    /// plus a margin of a tenth of it, at least 1 MiB (the folders are measured every 250 ms,
    /// so a fast writer can pass the limit by what it writes in that time).
    static func outputLimit(reserved: Int64) -> Int64 { reserved + max(1 << 20, reserved / 10) }

    /// Fails the item when its output folders hold more than `limit` bytes (allocated on disk),
    /// or its scratch folder more than ``outputLimit(reserved:)`` of the scratch reserved.
    private func checkSizes(_ folders: [String], limit: Int64, program: String) throws {
        let written = DiskUsage.measure(folders).bytes
        if written > limit {
            let option = options.reserveBytes == nil ? "output_ratio" : "reserve"
            throw StageError(
                code: "command.over-reservation",
                "\(program) wrote \(ByteSize.format(written)) into the output of stage \(name), more than its reservation and margin (\(ByteSize.format(limit))), and was stopped; raise the stage's \(option)"
            )
        }
        guard let scratch = options.scratchFolder else { return }
        let used = DiskUsage.measure(scratch).bytes
        let allowed = Self.outputLimit(reserved: options.scratchBytes)
        if used > allowed {
            throw StageError(
                code: "command.over-reservation",
                "\(program) wrote \(ByteSize.format(used)) of scratch files for stage \(name), more than the \(ByteSize.format(allowed)) reserved for them, and was stopped"
            )
        }
    }

    /// Runs `arguments` (which start `program`, or `sluice measure` before it) until it ends,
    /// its timeout, or it writes more than `limit` into `folders`.
    private func launch(
        _ arguments: [String], program: String, logDescriptor fd: Int32, workingDirectory: String?,
        watching folders: [String], limit: Int64
    ) async throws -> TerminationStatus {
        let timeout = options.timeout
        let name = self.name
        do {
            return try await withThrowingTaskGroup(of: TerminationStatus?.self) { group in
                group.addTask {
                    let executable = Executable.program(arguments[0])
                    var platform = PlatformOptions()
                    // The program and everything it starts form one process group, stopped as a
                    // whole (SIGTERM, then SIGKILL after 2 s) on a timeout or a stop: a shell's
                    // children must not be left running, re-parented to init.
                    platform.processGroupID = 0
                    platform.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
                    let output = FileDescriptor(rawValue: fd)
                    let result = try await Subprocess.run(
                        executable, arguments: Arguments(Array(arguments.dropFirst())),
                        // A sluice started here (preprocess, analyze) dies with this process, even by kill -9.
                        environment: .inherit.updating([Environment.Key(stringLiteral: ParentWatch.variable): "\(getpid())"]),
                        workingDirectory: workingDirectory.map { FilePath($0) }, platformOptions: platform,
                        output: .fileDescriptor(output, closeAfterSpawningProcess: false),
                        error: .fileDescriptor(output, closeAfterSpawningProcess: false))
                    return result.terminationStatus
                }
                if let timeout {
                    group.addTask {
                        try await Task.sleep(for: .seconds(timeout))
                        return nil
                    }
                }
                if !folders.isEmpty || options.scratchFolder != nil {
                    // The output guard: throws (and so stops the program) once it writes too much.
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .milliseconds(250))
                            try checkSizes(folders, limit: limit, program: program)
                        }
                    }
                }
                let first = try await group.next()!
                group.cancelAll()
                guard let status = first else {
                    throw StageError(code: "command.timeout", "\(program) (stage \(name)) did not finish within \(DurationText.format(timeout ?? 0)) and was stopped", transient: true)
                }
                return status
            }
        } catch let error as SubprocessError where error.code == .init(.executableNotFound) {
            throw StageError(code: "command.not-found", "the program '\(program)' was not found\(program.contains("/") ? "" : " on PATH")")
        } catch let error as SubprocessError {
            throw StageError(code: "command.launch", "cannot start \(program): \(error)")
        }
    }

    /// Fails unless every pattern of `patterns` matches a non-empty file in the unit's output:
    /// a program's exit status alone is not trusted.
    static func checkOutputs(_ unit: StageUnit, patterns: [String], program: String) throws {
        guard let folder = unit.partialOutput else { return }
        for pattern in patterns {
            let matches = GlobPattern(folder + "/" + pattern).expand()
            guard !matches.isEmpty else {
                throw StageError(code: "command.missing-output", "\(program) exited with status 0 but did not write \(pattern) for \(unit.item.name)")
            }
            for match in matches where DiskUsage.contentBytes(at: match) == 0 {
                throw StageError(code: "command.empty-output", "\(program) exited with status 0 but \(pattern) for \(unit.item.name) is empty")
            }
        }
    }

    /// The last non-empty line of a log, shortened, for the one-sentence error.
    static func lastLine(of path: String) -> String? {
        guard let line = tailLines(of: path, bytes: 4096).last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("$ ") })
        else { return nil }
        return String(line.prefix(200))
    }

    /// The lines of the last `bytes` of a log (the first one possibly cut); none when unreadable.
    static func tailLines(of path: String, bytes: UInt64) -> [Substring] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > bytes ? size - bytes : 0)
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self).split(separator: "\n")
    }

    /// Whether `program` can be started: an executable file at its path (relative to `folder`),
    /// or one found on the PATH.
    static func canStart(_ program: String, in folder: String?) -> Bool {
        if program.contains("/") {
            let path = program.hasPrefix("/") || folder == nil ? program : folder! + "/" + program
            return FileManager.default.isExecutableFile(atPath: path)
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }
    }

    /// This process's executable when it is the sluice binary (not, say, a test runner): what
    /// the analyze and preprocess stages run.
    static func runningSluice() -> String? {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? Bundle.main.executablePath
        guard let path else { return nil }
        let name = (path as NSString).lastPathComponent
        guard name == "sluice" || name.hasPrefix("sluice.") else { return nil }
        return path
    }
}
