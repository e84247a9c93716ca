/// Maps a dataset's gene names and ids to HGNC approved genes.
///
/// Precedence: approved symbol > Ensembl id (version suffix stripped) > previous symbol > alias.
/// The first level at which a gene is found decides: one HGNC gene there maps it; several make it
/// ambiguous (lower levels are not consulted, since a weaker match must not resolve a conflict
/// a stronger one raised). Symbols match exactly, case included, as HGNC symbols are defined.
public struct GeneMapper: Sendable {
    /// How one dataset gene was resolved.
    public struct Mapping: Sendable, Hashable, Codable {
        public enum Status: String, Sendable, Hashable, Codable { case mapped, unmapped, ambiguous }
        public enum Via: String, Sendable, Hashable, Codable { case symbol, ensembl, previousSymbol = "prev_symbol", alias }
        public var status: Status
        /// Index into ``HGNCTable/genes`` when mapped.
        public var gene: Int?
        public var via: Via?
    }

    /// Counts of a dataset's mapping outcomes, for the report.
    public struct Summary: Sendable, Hashable, Codable {
        public var mapped = 0
        public var unmapped = 0
        public var ambiguous = 0
        public var byRoute: [String: Int] = [:]
    }

    public let table: HGNCTable

    public init(table: HGNCTable) { self.table = table }

    /// Resolves one gene known by any of `names` (e.g. its var index and its symbol column).
    public func map(_ names: [String]) -> Mapping {
        let levels: [(Mapping.Via, [String: [Int]], (String) -> String?)] = [
            (.symbol, table.bySymbol, { $0 }),
            (.ensembl, table.byEnsembl, Self.ensemblStem),
            (.previousSymbol, table.byPreviousSymbol, { $0 }),
            (.alias, table.byAlias, { $0 }),
        ]
        for (via, index, key) in levels {
            let hits = Set(names.compactMap(key).flatMap { index[$0] ?? [] })
            if hits.count == 1 { return Mapping(status: .mapped, gene: hits.first, via: via) }
            if hits.count > 1 { return Mapping(status: .ambiguous, gene: nil, via: nil) }
        }
        return Mapping(status: .unmapped, gene: nil, via: nil)
    }

    /// Maps every gene; `names[g]` are the names gene `g` is known by.
    public func map(genes names: [[String]]) -> (mappings: [Mapping], summary: Summary) {
        var summary = Summary()
        let mappings = names.map { gene -> Mapping in
            let mapping = map(gene)
            switch mapping.status {
            case .mapped:
                summary.mapped += 1
                summary.byRoute[mapping.via!.rawValue, default: 0] += 1
            case .unmapped: summary.unmapped += 1
            case .ambiguous: summary.ambiguous += 1
            }
            return mapping
        }
        return (mappings, summary)
    }

    /// `ENSG00000141510.17` → `ENSG00000141510`; a name that is no Ensembl gene id → `nil`.
    ///
    /// Only `ENS…G<digits>` ids are taken, so symbols with dots (`AP000473.5`) are never cut.
    static func ensemblStem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard bytes.count > 4, bytes.starts(with: Array("ENS".utf8)) else { return nil }
        // ENS, a species code of capitals, then G (ENSG, ENSMUSG, ENSGALG), then digits.
        var i = 3
        while i < bytes.count, bytes[i] >= UInt8(ascii: "A"), bytes[i] <= UInt8(ascii: "Z") { i += 1 }
        guard i > 3, bytes[i - 1] == UInt8(ascii: "G") else { return nil }
        let digitsStart = i
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
        guard i > digitsStart else { return nil }
        let stem = String(decoding: bytes[0..<i], as: UTF8.self)
        if i == bytes.count { return stem }
        // A version suffix: a dot and digits only.
        guard bytes[i] == UInt8(ascii: "."), i + 1 < bytes.count,
            bytes[(i + 1)...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return stem
    }
}
