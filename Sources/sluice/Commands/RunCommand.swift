import ArgumentParser
import Dispatch
import Foundation
import SluiceEngine
import SluicePipelines
import Synchronization

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
        let session = try PipelineSession(config: config, onLine: { line in display.line(line) })
        let runner = session.runner
        let work = Task { try await session.run() }
        let signals = SignalWatcher {
            display.line("stopping: work in flight finishes or is given back (Ctrl-C again stops at once)")
            runner.requestStop()
            work.cancel()
        }
        let live = Task { await display.follow(runner) }
        let summary: RunSummary
        do {
            summary = try await work.value
        } catch {
            live.cancel()
            display.finish()
            throw error
        }
        live.cancel()
        _ = await live.result
        display.finish()
        withExtendedLifetime(signals) {}
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(RunSummaryText.render(summary, workspace: Workspace(root: config.workspace)))
        }
        if summary.interrupted { throw ExitCode(130) }
        if summary.failed > 0 { throw SluiceExitCode.someItemsFailed }
    }
}

/// Loads a pipeline file with every stage kind the program has; the options of `analyze`
/// stages are parsed as `sluice analyze` would parse them, so that a misspelt option is one
/// error before anything runs, not a failure of every item.
func loadPipeline(_ path: String) throws -> PipelineConfig {
    try PipelineConfig.load(path, registry: PipelineStages.registry { analysis, arguments in
        do {
            _ = try Sluice.parseAsRoot(["analyze", analysis, "INPUT"] + arguments + ["--output", "OUTPUT"])
            return nil
        } catch {
            return Sluice.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid options"
        }
    })
}

/// SIGINT and SIGTERM: the first calls `onFirst`, the second exits at once (the next run recovers).
final class SignalWatcher {
    private let sources: [any DispatchSourceSignal]

    init(onFirst: @escaping @Sendable () -> Void) {
        let count = Mutex(0)
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let seen = count.withLock { count in
                    count += 1
                    return count
                }
                if seen == 1 { onFirst() } else { _exit(130) }
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
