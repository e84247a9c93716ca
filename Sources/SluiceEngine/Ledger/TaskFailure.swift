/// Why a task failed, as the ledger keeps it.
public struct TaskFailure: Sendable, Hashable, Codable {
    /// A stable code, e.g. `fetch.http-status`.
    public var code: String
    /// One sentence naming the file or URL and what is wrong.
    public var message: String

    /// A failure with a stable `code` and a one-sentence `message`.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
