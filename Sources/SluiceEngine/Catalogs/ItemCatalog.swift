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
