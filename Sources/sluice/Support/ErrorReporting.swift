import ArgumentParser
import Foundation
import SluiceFormats
import SluicePipelines

/// Runs a command body; a Sluice error becomes one line on stderr and the "could not run" status,
/// never a stack trace.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as FormatError {
        printError("error: \(error.description) [\(error.code)]")
        throw SluiceExitCode.couldNotRun
    } catch let error as AnalysisError {
        printError("error: \(error.message) [\(error.code)]")
        throw SluiceExitCode.couldNotRun
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
