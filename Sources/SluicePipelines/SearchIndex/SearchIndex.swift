import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// A search index over the entities of an atlas study's files (``SearchIndexBuilder``): one
/// SQLite file (documented in docs/analysis.md, readable by any SQLite client) holding one row
/// per entity. Opening loads the names into one contiguous buffer of lower-cased UTF-8; a query
/// scans it — whole name (score 100), beginning (80), part (60), at most two edits away (40),
/// case aside — which takes a few milliseconds for 100,000 names, with no tokenizer to disagree
/// with (`IL-6` contains `l-6`; FTS5 would have split it).
public final class SearchIndex: Sendable {
    /// The file format's version (`meta.version`).
    public static let version = "1"

    /// Every entity, in the file's order (type, then name).
    public let entities: [SearchEntity]
    /// The lower-cased names, back to back, and where each starts (one more than entities).
    private let names: [UInt8]
    private let starts: [Int]

    /// Opens the index at `path`; throws `AnalysisError` (`index.*`) when it is not one.
    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AnalysisError(code: "index.missing", "no search index at \(path); build one with sluice index build")
        }
        var configuration = Configuration()
        configuration.readonly = true
        var entities: [SearchEntity] = []
        var names: [UInt8] = []
        var starts = [0]
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration)
            try database.read { db in
                let format = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'format'")
                let version = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'version'")
                guard format == "sluice-search-index", version == Self.version else {
                    throw AnalysisError(code: "index.format", "\(path) is not a Sluice search index of version \(Self.version)")
                }
                let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entities") ?? 0
                entities.reserveCapacity(count)
                starts.reserveCapacity(count + 1)
                let rows = try Row.fetchCursor(db, sql: "SELECT name, type, detail, sources, name_lower FROM entities ORDER BY id")
                while let row = try rows.next() {
                    let kind: String = row[1]
                    guard let type = SearchEntityType(rawValue: kind) else {
                        throw AnalysisError(code: "index.format", "\(path) has an entity of unknown type '\(kind)'")
                    }
                    entities.append(SearchEntity(name: row[0], type: type, detail: row[2], sources: row[3]))
                    let lower: String = row[4]
                    names.append(contentsOf: lower.utf8)
                    starts.append(names.count)
                }
            }
        } catch let error as AnalysisError {
            throw error
        } catch {
            throw AnalysisError(code: "index.format", "\(path) is not a Sluice search index: \(error)")
        }
        self.entities = entities
        self.names = names
        self.starts = starts
    }

    /// Writes `entities` as an index at `path`, atomically (a `.partial` file renamed into place).
    public static func write(_ entities: [SearchEntity], to path: String) throws {
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let database = try DatabaseQueue(path: partial)
            try database.write { db in
                try db.execute(sql: "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                try db.execute(
                    sql: """
                        CREATE TABLE entities(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL,
                            detail TEXT NOT NULL, sources TEXT NOT NULL, name_lower TEXT NOT NULL)
                        """)
                try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('format', 'sluice-search-index'), ('version', ?)", arguments: [version])
                let insert = try db.makeStatement(sql: "INSERT INTO entities(id, name, type, detail, sources, name_lower) VALUES (?, ?, ?, ?, ?, ?)")
                for (index, entity) in entities.enumerated() {
                    try insert.execute(arguments: [index + 1, entity.name, entity.type.rawValue, entity.detail, entity.sources, entity.name.lowercased()])
                }
                try db.execute(sql: "CREATE INDEX entities_name ON entities(name_lower)")
            }
            try database.close()
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw AnalysisError(code: "index.write", "cannot write the search index \(path): \(error)")
        }
        if rename(partial, path) != 0 {
            throw AnalysisError(code: "index.write", "cannot move the search index into place at \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The entities `text` finds (of `type` only, when given), best first: by score, then by
    /// type (``SearchEntityType`` order), then shorter names, then names in byte order; at most
    /// `limit`.
    public func query(_ text: String, type: SearchEntityType? = nil, limit: Int = 20) -> [SearchMatch] {
        let query = Array(text.trimmingCharacters(in: .whitespaces).lowercased().utf8)
        guard !query.isEmpty, limit > 0 else { return [] }
        var found: [(index: Int, score: Int)] = []
        names.withUnsafeBufferPointer { all in
            query.withUnsafeBufferPointer { wanted in
                for index in entities.indices {
                    if let type, entities[index].type != type { continue }
                    let name = UnsafeBufferPointer(rebasing: all[starts[index]..<starts[index + 1]])
                    if let score = Self.score(name, wanted) { found.append((index, score)) }
                }
            }
        }
        found.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            let (x, y) = (entities[a.index], entities[b.index])
            if x.type != y.type { return x.type < y.type }
            let (lengthX, lengthY) = (starts[a.index + 1] - starts[a.index], starts[b.index + 1] - starts[b.index])
            if lengthX != lengthY { return lengthX < lengthY }
            return x.name.utf8.lexicographicallyPrecedes(y.name.utf8)
        }
        return found.prefix(limit).map { SearchMatch(entity: entities[$0.index], score: $0.score) }
    }

    /// 100, 80, 60 or 40 as `name` is `query`, begins with it, holds it, or is at most two
    /// edits (insertions, deletions, substitutions of bytes) from it; nil otherwise.
    static func score(_ name: UnsafeBufferPointer<UInt8>, _ query: UnsafeBufferPointer<UInt8>) -> Int? {
        if name.count >= query.count {
            if memcmp(name.baseAddress!, query.baseAddress!, query.count) == 0 { return name.count == query.count ? 100 : 80 }
            if contains(name, query) { return 60 }
        }
        return abs(name.count - query.count) <= 2 && isWithinTwoEdits(name, query) ? 40 : nil
    }

    /// Whether `name` holds `query` (not at its start: that is a prefix).
    private static func contains(_ name: UnsafeBufferPointer<UInt8>, _ query: UnsafeBufferPointer<UInt8>) -> Bool {
        let first = query[0]
        var start = 1
        while start + query.count <= name.count {
            if name[start] == first && memcmp(name.baseAddress! + start, query.baseAddress!, query.count) == 0 { return true }
            start += 1
        }
        return false
    }

    /// Whether the edit distance of `a` and `b` is at most 2: the dynamic programme restricted
    /// to the band of diagonals within 2 of the main one, given up once a row exceeds 2.
    static func isWithinTwoEdits(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let limit = 2, far = 3
        let (n, m) = (a.count, b.count)
        if abs(n - m) > limit { return false }
        // previous[j] and current[j]: distance of a[..<i] and b[..<j], for |i - j| ≤ 2.
        var previous = [Int](repeating: far, count: m + 1)
        var current = [Int](repeating: far, count: m + 1)
        for j in 0...min(m, limit) { previous[j] = j }
        if n == 0 { return m <= limit }
        for i in 1...n {
            let low = max(0, i - limit), high = min(m, i + limit)
            var best = far
            for j in low...high {
                var value = far
                if j == 0 {
                    value = i
                } else {
                    let substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                    let delete = previous[j] + 1
                    let insert = current[j - 1] + 1
                    value = min(substitute, delete, insert)
                }
                current[j] = min(value, far)
                best = min(best, current[j])
            }
            if best > limit { return false }
            swap(&previous, &current)
            for j in 0...m { current[j] = far }
        }
        return previous[m] <= limit
    }
}
