import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluiceKernels
import SluicePipelines

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

    /// One sentence with its stable code, for the errors Sluice knows; nil for the parser's own.
    static func sentence(for error: any Error) -> String? {
        switch error {
        case let error as FormatError: "\(error.description) [\(error.code)]"
        case let error as AnalysisError: "\(error.message) [\(error.code)]"
        case let error as ActivityError: "\(error.message) [\(error.code)]"
        case let error as PreprocessError: "\(error.message) [\(error.code)]"
        case let error as StageError: "\(error.message) [\(error.code)]"
        case let error as ConfigError: error.description
        case let error as LedgerError: error.description
        case let error as BudgetError: error.description
        case let error as WorkspaceError: error.description
        case let error as CocoaError: fileSystemSentence(error)
        case is ArgumentParser.ValidationError, is CleanExit: nil
        default:
            (error as NSError).domain == NSPOSIXErrorDomain || (error as NSError).domain == NSCocoaErrorDomain
                ? fileSystemSentence(error as NSError) : nil
        }
    }

    /// A file-system failure as a sentence naming the path and the reason, never Foundation's
    /// `Error Domain=NSCocoaErrorDomain Code=516 …`.
    static func fileSystemSentence(_ error: any Error) -> String {
        let ns = error as NSError
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError
        let errno = underlying?.domain == NSPOSIXErrorDomain ? Int32(underlying!.code) : (ns.domain == NSPOSIXErrorDomain ? Int32(ns.code) : nil)
        let reason: String
        if let errno {
            reason = String(cString: strerror(errno)).lowercased()
        } else {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileWriteFileExists: reason = "already exists"
            case .fileNoSuchFile, .fileReadNoSuchFile: reason = "does not exist"
            case .fileWriteNoPermission, .fileReadNoPermission: reason = "permission denied"
            case .fileWriteOutOfSpace: reason = "no space left on the device"
            case .fileWriteVolumeReadOnly: reason = "the file system is read-only"
            default: reason = "the file system refused (code \(ns.code))"
            }
        }
        return "\(path ?? "a file"): \(reason) [io-failure]"
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
