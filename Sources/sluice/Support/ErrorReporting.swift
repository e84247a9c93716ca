import ArgumentParser
import Foundation
import SluiceFormats

/// The one place an error that ends a command becomes a line on standard error and an exit
/// status: Sluice's own errors and the file system's say one sentence (with their code) and exit
/// with "could not run" (2); argument mistakes print ArgumentParser's message and usage, also
/// with 2; exit codes a command throws on purpose pass through. Never a stack trace.
enum ErrorReporting {
    /// Prints what `error` means and returns the status to exit with; nil for what
    /// ArgumentParser shows itself (help, version).
    static func report(_ error: any Error) -> ExitCode? {
        if let code = error as? ExitCode { return code }
        if let line = sentence(for: error) {
            printError("error: \(line)")
            return SluiceExitCode.couldNotRun
        }
        switch Sluice.exitCode(for: error) {
        case .validationFailure:
            // ArgumentParser's own errors (unknown options, bad values, validation): its message
            // and usage, with the "could not run" status rather than its 64.
            printError(Sluice.fullMessage(for: error))
            return SluiceExitCode.couldNotRun
        case .failure:
            // An error from a library below (a server that cannot bind, …): its words, on one line.
            let words = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
            printError("error: \(words)")
            return SluiceExitCode.couldNotRun
        default:
            return nil
        }
    }

    /// One sentence with its stable code, for the errors Sluice knows (every module's errors
    /// are ``SluiceError``s; the file system's become one); nil for the parser's own.
    static func sentence(for error: any Error) -> String? {
        if let error = error as? any SluiceError { return error.reportLine }
        return FormatError.fileSystem(error)?.reportLine
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
