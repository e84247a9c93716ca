/// How one dataset fared, for the end-of-run summary.
public struct PreprocessOutcome: Sendable, Codable, Hashable {
    public var dataset: String
    public var input: String
    public var succeeded: Bool
    /// The step that failed, its error code and the one-sentence reason.
    public var failedStep: String?
    public var errorCode: String?
    public var reason: String?
    public var cells: Int?
    public var trainCells: Int?
    public var testCells: Int?
    public var seconds: Double
}
