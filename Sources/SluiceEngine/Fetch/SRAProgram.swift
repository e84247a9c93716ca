import Foundation

/// How the fetch stage brings a run that ENA has no FASTQ files for (an `sra:RUN` source) into
/// `raw/<item>/`: a program — `fasterq-dump` from the SRA Toolkit by default — run with the
/// run's accession and the item's partial folder, without a shell, its output in the item's
/// fetch log. The room it may fill is reserved first; a program that fills more is stopped.
public struct SRAProgram: Sendable, Equatable {
    /// The program and its arguments: `{run}` is the run's accession, `{out}` the folder its
    /// files must land in.
    public var argv: [String]
    /// Bytes reserved for what it writes (FASTQ is several times the size of the SRA file).
    public var reserve: Int64

    /// `fasterq-dump --split-files --outdir {out} {run}` (paired reads in `RUN_1.fastq`, `RUN_2.fastq`).
    public static let defaultArgv = ["fasterq-dump", "--split-files", "--outdir", "{out}", "{run}"]

    public init(argv: [String] = Self.defaultArgv, reserve: Int64) {
        self.argv = argv
        self.reserve = reserve
    }

    /// Runs the program for `run` into `folder` after reserving room for its files beside the
    /// `before` bytes the item's other sources took; writes what it prints to `logFile`. Returns
    /// the bytes of the files it made. Throws `StageError`: `fetch.sra-start` (cannot start it:
    /// permanent), `fetch.sra-failed` (non-zero exit: retried), `fetch.sra-too-large`,
    /// `fetch.sra-nothing`.
    func fetch(_ run: String, into folder: String, before: Int64, logFile: String, context: StageContext) async throws -> Int64 {
        try await context.ensureReserved(before + reserve)
        let arguments = argv.map { $0.replacingOccurrences(of: "{run}", with: run).replacingOccurrences(of: "{out}", with: folder) }
        let existing = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let ended = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { ended.continuation.yield($0.terminationStatus) }
        do {
            try process.run()
        } catch {
            throw StageError(code: "fetch.sra-start", "cannot start \(argv[0]) for \(run): \(error.localizedDescription)")
        }
        var tooLarge = false
        let status: Int32 = try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Int32?.self) { group in
                group.addTask {
                    for await status in ended.stream { return status }
                    return -1
                }
                group.addTask {
                    // The folder's growth, watched: progress, and a stop past the reservation.
                    while true {
                        try await Task.sleep(for: .milliseconds(250))
                        let written = DiskUsage.measure(folder).bytes - before
                        context.progress(before + written, before + reserve)
                        if written > reserve {
                            process.terminate()
                            return nil
                        }
                    }
                }
                while let next = try await group.next() {
                    guard let status = next else {
                        tooLarge = true
                        continue
                    }
                    group.cancelAll()
                    return status
                }
                return -1
            }
        } onCancel: {
            process.terminate()
        }
        let written = DiskUsage.measure(folder).bytes - before
        if tooLarge || written > reserve {
            throw StageError(
                code: "fetch.sra-too-large",
                "\(argv[0]) wrote more than the \(ByteSize.format(reserve)) reserved for \(run) and was stopped; raise the fetch stage's sra reserve")
        }
        guard status == 0 else {
            let said = ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").split(separator: "\n").last.map(String.init) ?? ""
            if status == 127 {
                throw StageError(code: "fetch.sra-start", "\(argv[0]) was not found on PATH (install the SRA Toolkit) to fetch \(run)")
            }
            throw StageError(code: "fetch.sra-failed", "\(argv[0]) ended with status \(status) for \(run)\(said.isEmpty ? "" : ": " + said)", transient: true)
        }
        let made = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !existing.contains($0) && !$0.hasPrefix(".") }
        guard !made.isEmpty else {
            throw StageError(code: "fetch.sra-nothing", "\(argv[0]) made no file for \(run) in \(folder)")
        }
        return written
    }
}
