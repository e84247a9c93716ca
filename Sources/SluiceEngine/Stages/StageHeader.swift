/// What every stage entry of a pipeline file has, whatever its kind: the engine parses these
/// keys itself and hands the rest of the entry to the kind's factory as ``StageOptions``.
public struct StageHeader: Sendable, Equatable {
    /// The kind as written in the file (`fetch`, `command`, …): the key of its factory.
    public var kind: String
    /// The stage's unique name: it names folders and log files.
    public var name: String
    /// Whether the file gave `name:` (a factory may pick a better default when it did not).
    public var isNameGiven: Bool
    /// Workers of this stage that run at the same time.
    public var concurrency: Int
    /// Attempts after the first for transient failures (network, timeouts).
    public var retries: Int
    /// The earlier stage whose outputs this stage reads (`from:`); nil: the nearest earlier
    /// stage that writes outputs. Inputs are deleted by the last stage that reads them.
    public var from: String?
    /// The line of the pipeline file that declared it, for errors.
    public var line: Int?

    /// A header from its fields; the defaults are one worker, no retries and the nearest earlier stage.
    public init(
        kind: String, name: String, isNameGiven: Bool = true, concurrency: Int = 1, retries: Int = 0,
        from: String? = nil, line: Int? = nil
    ) {
        self.kind = kind
        self.name = name
        self.isNameGiven = isNameGiven
        self.concurrency = concurrency
        self.retries = retries
        self.from = from
        self.line = line
    }
}
