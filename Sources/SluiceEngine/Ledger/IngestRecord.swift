/// A record an `ingest` stage puts in the ledger's database, in the same transaction that
/// completes its task: a crash can neither lose it nor store it twice. Records live in the
/// `ingested` table, one collection (the stage's `into:`) beside the others.
public struct IngestRecord: Sendable, Hashable, Codable {
    /// The collection it belongs to (`into:`).
    public var collection: String
    /// The item it came from.
    public var item: String
    /// Its name within the item (the file it was read from).
    public var name: String
    /// Its content (the file's text).
    public var content: String

    /// A record as given.
    public init(collection: String, item: String, name: String, content: String) {
        self.collection = collection
        self.item = item
        self.name = name
        self.content = content
    }
}
