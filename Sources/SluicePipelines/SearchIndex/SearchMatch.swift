/// An entry a query found, with its score: 100 the whole name, 80 its beginning, 60 a part of
/// it, 40 within two edits of it (case aside).
public struct SearchMatch: Sendable, Hashable, Codable {
    public var entity: SearchEntity
    public var score: Int
}
