import Foundation

/// The options of one stage entry, beyond the common ``StageHeader`` keys: opaque to the
/// engine, parsed and checked by the factory of the stage's kind. Errors made from it name the
/// pipeline file and the line.
public struct StageOptions {
    /// The entry's value (`- command: {…}`): a mapping, or empty.
    public let node: ConfigNode
    /// Keys the engine reads itself (`name`, `concurrency`, `retries`, `from`).
    let headerKeys: [String]
    /// Makes a path in the file absolute (relative paths are relative to the pipeline file).
    private let resolve: (String) -> String

    init(node: ConfigNode, headerKeys: [String], resolve: @escaping (String) -> String) {
        self.node = node
        self.headerKeys = headerKeys
        self.resolve = resolve
    }

    /// Where the entry sits, e.g. `stages[2].command`.
    public var path: String { node.path }

    /// The kind's own keys, after checking that each key of the entry is one of `known` or a
    /// header key (an unknown key is an error that lists them all).
    public func keys(known: [String]) throws -> [String: ConfigNode] {
        // `- cleanup:` with nothing after it is an empty value.
        if node.isEmpty { return [:] }
        return try node.mapping(known: headerKeys + known).filter { !headerKeys.contains($0.key) }
    }

    /// A path written in the pipeline file, made absolute (relative to the file's folder, `~` expanded).
    public func absolute(_ path: String) -> String { resolve(path) }

    /// An error about the entry as a whole.
    public func error(_ code: ConfigError.Code, _ message: String) -> ConfigError { node.error(code, message) }
}
