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

        public var description: String { rawValue }
    }

    public let code: Code
    public let message: String
    public let file: String
    public let line: Int?

    public init(_ code: Code, _ message: String, file: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return "\(place): \(message)"
    }
}
