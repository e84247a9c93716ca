/// An analysis that cannot run: bad input or too little overlap, in one clear sentence.
public struct AnalysisError: Error, CustomStringConvertible, Sendable {
    public let code: String
    public let message: String

    public init(code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
