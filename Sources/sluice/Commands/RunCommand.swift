import ArgumentParser
import Foundation
import SluiceEngine
import SluicePipelines

/// `sluice run PIPELINE.yaml`: runs or resumes a pipeline under its disk budget.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run or resume a pipeline: every item through every stage, never above the disk budget.",
        discussion: """
            The pipeline file declares the workspace, the budget, the items and the stages \
            (docs/pipeline.md). Running it again continues where it stopped; completed work is \
            never redone. Ctrl-C stops gracefully (work in flight finishes or is given back); a \
            second Ctrl-C stops at once, and the next run recovers.

            Exit status: 0 all items done, 3 some items failed, 2 the pipeline could not run, \
            130 stopped by a signal.
            """)

    @Argument(help: "The pipeline file (YAML).") var pipeline: String
    @Flag(help: "Print only the summary.") var quiet = false
    @Flag(help: "Write the summary as JSON to standard output.") var json = false

    func run() async throws {
        let config = try loadPipeline(pipeline)
        let display = RunDisplay(enabled: !quiet && !json)
        let session = try await PipelineSession(config: config, onLine: { line in display.line(line) })
        let runner = session.runner
        let signals = StopSignals {
            display.line("stopping: work in flight is given back (Ctrl-C again stops at once)")
            runner.requestStop()
        }
        let summary: RunSummary
        do {
            summary = try await session.run(alongside: [signals, LiveProgress(display: display, runner: runner)])
        } catch is StopError {
            // The second signal: the run was cancelled; the next run recovers what was in flight.
            throw ExitCode(130)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(RunSummaryText.render(summary, workspace: Workspace(root: config.workspace), ledger: config.ledger))
        }
        if summary.interrupted { throw ExitCode(130) }
        if summary.failed > 0 { throw SluiceExitCode.someItemsFailed }
    }
}

/// Loads a pipeline file with every stage kind the program has; the options of `analyze`
/// stages are parsed as `sluice analyze` would parse them, so that a misspelt option is one
/// error before anything runs, not a failure of every item.
func loadPipeline(_ path: String) throws -> PipelineConfig {
    try PipelineConfig.load(
        path,
        registry: PipelineStages.registry { analysis, arguments in
            do {
                _ = try Sluice.parseAsRoot(["analyze", analysis, "INPUT"] + arguments + ["--output", "OUTPUT"])
                return nil
            } catch {
                return Sluice.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid options"
            }
        })
}
