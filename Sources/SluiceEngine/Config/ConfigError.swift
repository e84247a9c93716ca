public import SluiceFormats

/// A pipeline file that cannot be run: one sentence naming the file, the line and what is wrong.
public struct ConfigError: SluiceError {
    /// The stable code (`config.*`) scripts can match.
    public enum Code: String, Sendable, CustomStringConvertible {
        case unreadable = "config.unreadable"
        case malformedYAML = "config.malformed-yaml"
        case unknownKey = "config.unknown-key"
        case missingKey = "config.missing-key"
        case badValue = "config.bad-value"
        case unknownStage = "config.unknown-stage"
        case missingFile = "config.missing-file"
        case duplicateName = "config.duplicate-name"

        /// The code as scripts match it, e.g. `config.bad-value`.
        public var description: String { rawValue }
    }

    /// What is wrong, as a stable code.
    public let code: Code
    /// One sentence saying what is wrong.
    public let message: String
    /// The pipeline file.
    public let file: String
    /// The line of the file at fault, when known.
    public let line: Int?

    /// An error with `code` and `message` at `file` (and `line`, when known).
    public init(_ code: Code, _ message: String, file: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// `file:line: message` (just `file: message` without a line).
    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return "\(place): \(message)"
    }
}
