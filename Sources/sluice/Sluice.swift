import ArgumentParser

/// The `sluice` command: parses arguments and hands work to the library; no logic of its own.
@main
struct Sluice: AsyncParsableCommand {
    static func main() async {
        ParentDeath.dieWithParentIfAsked()
        BLASKernelChoice.reexecIfBetter()
        ProcessMemory.keepFreedMemory()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: ErrorReporting.report(error) ?? error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A storage-bounded streaming pipeline for single-cell and other omics data.",
        discussion: """
            Declare a pipeline in YAML (docs/pipeline.md) and run it with `sluice run PIPELINE.yaml`; \
            it never holds more bytes than its budget and resumes where it stopped. Start with \
            `sluice demo` to see a whole run on data Sluice makes itself, or `sluice inspect FILE`.
            """,
        version: BuildInfo.versionText,
        subcommands: [
            RunCommand.self, PlanCommand.self, WorkerCommand.self, StatusCommand.self, RetryCommand.self, CleanCommand.self, EventsCommand.self, ServeCommand.self,
            PreprocessCommand.self, AnalyzeCommand.self, InspectCommand.self, ConvertCommand.self, DemoCommand.self, BenchCommand.self,
            ReportCommand.self, DashboardCommand.self, MeasureCommand.self, VocabularyCommand.self, ModelCommand.self, PublishCommand.self, IndexCommand.self,
        ])
}
