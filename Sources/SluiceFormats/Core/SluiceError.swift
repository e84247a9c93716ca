/// What every Sluice error says: a stable code, one sentence that names the file or item and
/// what to do, and whether trying again may help. The command line turns any of them into one
/// line on standard error and an exit status, in one place.
public protocol SluiceError: Error, Sendable, CustomStringConvertible {
    associatedtype Code: CustomStringConvertible & Sendable
    /// Stable across releases (`config.unknown-key`, `io-failure`): for logs, JSON and scripts.
    var code: Code { get }
    /// The sentence, without the place (``description`` adds the file or line where known).
    var message: String { get }
    /// Whether a retry may help (network faults, timeouts); bad data and bad input are not.
    var isTransient: Bool { get }
}

extension SluiceError {
    /// False: errors are not transient unless a type says so.
    public var isTransient: Bool { false }

    /// The code as text.
    public var codeText: String { code.description }

    /// The line users see: the sentence and its code, `… [config.bad-value]`.
    public var reportLine: String { "\(description) [\(codeText)]" }
}
