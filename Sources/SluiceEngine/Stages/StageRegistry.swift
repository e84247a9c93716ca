/// The stage kinds a pipeline file may use, each with the factory that builds it. A value (no
/// global table): the engine's own kinds are ``engine``; a program adds its kinds with
/// ``adding(_:)`` or ``adding(kind:defaultRetries:make:)``.
public struct StageRegistry: Sendable {
    /// Builds a stage from its header and options.
    public typealias Make = @Sendable (StageHeader, StageOptions) throws -> any Stage

    struct Factory: Sendable {
        let defaultRetries: Int
        let make: Make
    }

    private(set) var factories: [String: Factory] = [:]

    /// An empty registry, with no kinds.
    public init() {}

    /// `fetch` and `cleanup`, the kinds the engine itself provides.
    public static var engine: StageRegistry {
        StageRegistry().adding(FetchStage.self).adding(CleanupStage.self)
    }

    /// This registry with `type`'s kind added (or replaced).
    public func adding<S: ConfigurableStage>(_ type: S.Type) -> StageRegistry {
        adding(kind: S.kind, defaultRetries: S.defaultRetries) { try S(header: $0, options: $1) }
    }

    /// This registry with a kind built by `make` added (or replaced).
    public func adding(kind: String, defaultRetries: Int = 0, make: @escaping Make) -> StageRegistry {
        var copy = self
        copy.factories[kind] = Factory(defaultRetries: defaultRetries, make: make)
        return copy
    }

    /// The kinds known, sorted.
    public var kinds: [String] { factories.keys.sorted() }

    func factory(_ kind: String) -> Factory? { factories[kind] }
}
