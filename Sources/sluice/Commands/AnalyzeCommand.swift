import ArgumentParser
import Foundation
import SluicePipelines

/// `sluice analyze …`: the analysis kernels on files.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyses on expression files: signature activity, correlation, pseudobulk, differential tests, validation of activity, cross-atlas studies.",
        subcommands: [
            ActivityCommand.self, CorrelateCommand.self, PseudobulkCommand.self, DifferentialCommand.self, ValidateCommand.self, CrossAtlasCommand.self,
            CompositionCommand.self, SpecificityCommand.self, ResponseCommand.self, TrendsCommand.self, ProgramsCommand.self, DriversCommand.self, ScoresCommand.self,
        ])
}
