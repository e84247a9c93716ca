import Foundation

/// What a catalog's query resolved to, and when: stored in the ledger, so that a rerun and
/// every worker take the same items without asking the service again.
public struct ResolvedItems: Sendable, Codable, Equatable {
    /// The catalog's ``ItemCatalog/key``.
    public var key: String
    /// When the service answered (seconds since 1970).
    public var resolvedAt: Double
    /// The items, in the service's order.
    public var items: [ItemSpec]

    /// A resolution of the catalog keyed `key`.
    public init(key: String, resolvedAt: Double, items: [ItemSpec]) {
        self.key = key
        self.resolvedAt = resolvedAt
        self.items = items
    }

    /// The list as the ledger stores it (JSON with sorted keys).
    func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A list the ledger stored.
    static func decode(_ text: String) throws -> ResolvedItems {
        try JSONDecoder().decode(ResolvedItems.self, from: Data(text.utf8))
    }
}
