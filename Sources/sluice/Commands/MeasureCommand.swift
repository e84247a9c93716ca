import ArgumentParser
import Foundation
import SluiceEngine

/// `sluice measure`: runs a program and writes what it used — what `sluice run` puts in front
/// of a stage's program, for the trace.
struct MeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Run a program and write what it used (CPU time, peak memory, I/O) as JSON.",
        discussion: """
            `sluice run` starts the programs of command, preprocess and analyze stages through \
            this, and puts what they used in its trace (logs/trace.tsv). The program's exit \
            status (or the signal that ended it) becomes this command's. Example: \
            sluice measure --usage /tmp/u.json -- gzip -k big.txt
            """,
        shouldDisplay: false)

    @Option(help: "Write the usage (JSON) to this file.")
    var usage: String

    @Argument(parsing: .postTerminator, help: "The program and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the program to run after --") }
    }

    func run() throws {
        var environment = ProcessInfo.processInfo.environment
        // A sluice program started here ends with this process (which ends with the run).
        environment[ParentWatch.watchVariable] = String(getpid())
        let measured = try MeasuredProcess.run(command, environment: environment)
        try? measured.write(to: usage)
        MeasuredProcess.exit(like: measured)
    }
}
