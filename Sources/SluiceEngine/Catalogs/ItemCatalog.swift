import Foundation

/// A source of items that a service resolves (`cellxgene:` in a pipeline's `items:`): the
/// pipeline file names a query, the service answers with the datasets, each with its size and
/// what is known about it. ``ItemResolver`` asks it once per workspace and keeps the answer in
/// the ledger.
public protocol ItemCatalog: Sendable {
    /// The query as stable text (sorted JSON): the key its resolved list is stored under.
    var key: String { get }
    /// The catalog in messages, e.g. `cellxgene (line 7)`.
    var label: String { get }
    /// Asks the service; one item per dataset, in the service's order, each with its size.
    func resolve() async throws -> [ItemSpec]
}

extension ItemCatalog {
    /// `kind:` followed by `query` as sorted JSON: a key that changes with the query only.
    static func key(_ kind: String, _ query: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return kind + ":" + String(decoding: (try? encoder.encode(query)) ?? Data(), as: UTF8.self)
    }

    /// `kind (line N)`, or `kind` without a line.
    static func label(_ kind: String, line: Int?) -> String { kind + (line.map { " (line \($0))" } ?? "") }
}
