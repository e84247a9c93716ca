/// A stage kind that a pipeline file can name: its key, and how it builds a stage from its
/// entry. Register the type in a ``StageRegistry``; the engine never names it.
public protocol ConfigurableStage: Stage {
    /// The key of the kind in a pipeline file (`- fetch: {…}`).
    static var kind: String { get }
    /// Retries for transient failures when the entry gives none.
    static var defaultRetries: Int { get }
    /// Parses and checks the kind's options; errors name the file and line (``StageOptions/error(_:_:)``).
    init(header: StageHeader, options: StageOptions) throws
}

extension ConfigurableStage {
    /// No retries.
    public static var defaultRetries: Int { 0 }
}
