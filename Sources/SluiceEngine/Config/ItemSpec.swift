/// One unit of work as the pipeline file declares it: a name, where its data comes from, and
/// what is known about it in advance.
public struct ItemSpec: Sendable, Hashable, Codable {
    /// The sanitized, distinct name used for the item's folders.
    public var name: String
    /// URLs (`http`, `https`, `file`) or absolute paths, fetched into the item's `raw/` folder.
    public var sources: [String]
    /// Bytes in all, when known in advance (a manifest's `size` column).
    public var size: Int64?
    /// The checksum of the fetched file (single-source items).
    public var checksum: ExpectedChecksum?
    /// The checksums of the fetched files, in the order of `sources` (items with several files,
    /// e.g. paired reads; a nil entry is not checked).
    public var checksums: [ExpectedChecksum?]?
    /// Items of one group meet in `per: group` command stages (e.g. samples of one species).
    public var group: String?
    /// A manifest's other columns (e.g. `pages`, `organism`), by column name; nil when none.
    public var metadata: [String: String]?

    /// An item from its fields; only the name and sources are required.
    public init(
        name: String, sources: [String], size: Int64? = nil, checksum: ExpectedChecksum? = nil, group: String? = nil,
        metadata: [String: String]? = nil
    ) {
        self.name = name
        self.sources = sources
        self.size = size
        self.checksum = checksum
        self.group = group
        self.metadata = metadata
    }

    /// The checksum each fetched file must have, in the order of `sources` (nil: not checked).
    public var fileChecksums: [ExpectedChecksum?] {
        if let checksums { return sources.indices.map { $0 < checksums.count ? checksums[$0] : nil } }
        return sources.indices.map { $0 == 0 && sources.count == 1 ? checksum : nil }
    }

    /// Sets the checksums a manifest or an entry gives as digests of `algorithm` (one per
    /// source, in order; one digest for a single source): `checksum` for one file, `checksums`
    /// for several. Returns a sentence saying what is wrong, or nil.
    mutating func setChecksums(_ digests: [String], _ algorithm: ExpectedChecksum.Algorithm) -> String? {
        let checksums = digests.map { $0.isEmpty || $0 == "-" ? nil : ExpectedChecksum(algorithm, $0) }
        if let bad = checksums.compactMap({ $0 }).first(where: { !$0.isWellFormed }) {
            return "'\(bad.hex)' is not a \(algorithm.rawValue) digest"
        }
        guard checksums.count == sources.count else {
            return "\(checksums.count) \(algorithm.rawValue) digest(s) for \(sources.count) file(s): give one per file, in the order of the urls (- for none)"
        }
        if sources.count == 1 { checksum = checksums[0] } else { self.checksums = checksums }
        return nil
    }
}
