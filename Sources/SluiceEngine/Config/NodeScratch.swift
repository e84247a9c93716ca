import Foundation

/// A node-local scratch folder for `raw/` and `interim/` (`node:` in the pipeline file, or
/// `sluice worker --scratch DIR --scratch-budget SIZE`): each worker keeps the items it fetched
/// there, in a folder of its own, under a budget of its own, while the shared areas (`output`,
/// `checkpoints`, `cache`) stay in the workspace under the run's quota.
public struct NodeScratch: Sendable, Hashable {
    /// The folder as written: absolute, or starting with an environment variable (`$TMPDIR/x`),
    /// which each worker expands in its own environment (``folder()``).
    public var path: String
    /// The most bytes `raw/` and `interim/` may hold there together.
    public var budget: Int64

    /// Scratch in `path` with `budget` bytes; a relative path that does not start with `$` is
    /// made absolute against the current folder.
    public init(path: String, budget: Int64) {
        self.path = path.hasPrefix("$") || path.hasPrefix("/") ? path : URL(fileURLWithPath: path).standardizedFileURL.path
        self.budget = budget
    }

    /// Parses `node: {scratch: DIR, budget: SIZE}`; a relative DIR is relative to the pipeline file.
    init(_ node: ConfigNode, absolute: (String) -> String) throws {
        let keys = try node.mapping(known: ["scratch", "budget"])
        guard let scratch = keys["scratch"] else { throw node.error(.missingKey, "node needs 'scratch': a folder on each node's own disk, e.g. scratch: $TMPDIR") }
        guard let budget = keys["budget"] else { throw node.error(.missingKey, "node needs 'budget': the most raw/ and interim/ may hold there, e.g. budget: 200GB") }
        let text = try scratch.string()
        self.init(path: text.hasPrefix("$") ? text : absolute(text), budget: try budget.bytes())
    }

    /// The folder in this process's environment: `$NAME` and `${NAME}` replaced by their values.
    /// Throws when a variable is not set.
    public func folder(environment: [String: String]? = nil) throws -> String {
        let environment = environment ?? ProcessInfo.processInfo.environment
        var result = ""
        var rest = Substring(path)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            let braced = rest.first == "{"
            if braced { rest = rest.dropFirst() }
            let end = rest.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") } ?? rest.endIndex
            let name = String(rest[..<end])
            rest = rest[end...]
            if braced {
                guard rest.first == "}" else { throw WorkspaceError(code: "workspace.scratch", "the scratch folder \(path) has a '${' without its '}'") }
                rest = rest.dropFirst()
            }
            guard !name.isEmpty, let value = environment[name] else {
                throw WorkspaceError(code: "workspace.scratch", "the scratch folder \(path) names $\(name), which is not set in this worker's environment")
            }
            result += value
        }
        return URL(fileURLWithPath: result + rest).standardizedFileURL.path
    }
}
