public import SluiceFormats

/// An analysis that cannot run — bad input, too little overlap, an unknown column, nothing left
/// after the filters — as a stable code (`activity.too-few-genes`, `pseudobulk.unknown-column`, …)
/// and one sentence that says what to change.
public struct AnalysisError: SluiceError {
    public let code: String
    public let message: String

    public init(code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Names a few of `items` (quoted) and how many more there are: `'a', 'b' and 3 more`.
    static func sample(_ items: [String], limit: Int = 5) -> String {
        let shown = items.prefix(limit).map { "'\($0)'" }.joined(separator: ", ")
        return items.count > limit ? "\(shown) and \(items.count - limit) more" : shown
    }
}
