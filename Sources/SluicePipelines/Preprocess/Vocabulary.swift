public import Foundation
import SluiceEngine
import SluiceFormats

/// The token vocabulary every dataset of a corpus shares: four special tokens, then genes.
///
/// With an HGNC table, the genes are every approved HGNC gene in HGNC-id order, so token ids are
/// the same for any set of datasets. Without one, they are the datasets' own gene ids in code
/// point order. `vocab.json` is written with sorted keys, so its SHA-256 (stored in every
/// Parquet file's metadata) identifies the vocabulary.
public struct Vocabulary: Sendable, Codable, Hashable {
    public static let specialTokens = ["<pad>", "<mask>", "<cls>", "<eos>"]

    /// One gene token.
    public struct Gene: Sendable, Codable, Hashable {
        public var token: Int32
        /// The name the token stands for: the approved symbol, or the dataset's gene id.
        public var name: String
        public var hgnc_id: String?
        public var ensembl_gene_id: String?
    }

    /// `hgnc`, `dataset`, or `file` (a token dictionary).
    public var source: String
    public var special_tokens: [String: Int32]
    public var genes: [Gene]

    public var size: Int { special_tokens.count + genes.count }

    /// The vocabulary of all approved genes of `table`; token of `table.genes[i]` is `4 + i`.
    public init(hgnc table: HGNCTable) {
        source = "hgnc"
        special_tokens = Self.specialTokenIDs
        genes = table.genes.enumerated().map { index, gene in
            Gene(token: Int32(Self.specialTokens.count + index), name: gene.symbol, hgnc_id: gene.id, ensembl_gene_id: gene.ensemblID)
        }
    }

    /// The vocabulary of the given gene ids (duplicates removed), in code point order.
    public init(datasetGeneIDs ids: some Sequence<String>) {
        source = "dataset"
        special_tokens = Self.specialTokenIDs
        let sorted = Set(ids).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        genes = sorted.enumerated().map { index, id in Gene(token: Int32(Self.specialTokens.count + index), name: id) }
    }

    /// The vocabulary of a token dictionary (gene → token id, e.g. Geneformer's): entries named
    /// like `<cls>` are special tokens, the rest genes, each keeping its id. Throws when an id is
    /// not a whole number from 0, or two entries share one.
    public init(tokenDictionary table: GeneValueTable) throws {
        source = "file"
        var specials: [String: Int32] = [:]
        var genes: [Gene] = []
        var owner: [Int32: String] = [:]
        for (name, value) in table.values.sorted(by: { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
            guard value >= 0, value <= Double(Int32.max), value.rounded() == value else {
                throw FormatError(.invalidValue, path: table.path, "gives \(name) the token id \(value), not a whole number from 0 (the token dictionary)")
            }
            let token = Int32(value)
            if let other = owner.updateValue(name, forKey: token) {
                throw FormatError(.invalidValue, path: table.path, "gives \(other) and \(name) the same token id \(token) (the token dictionary)")
            }
            if name.hasPrefix("<"), name.hasSuffix(">") {
                specials[name] = token
            } else {
                genes.append(Gene(token: token, name: name))
            }
        }
        special_tokens = specials
        self.genes = genes
    }

    /// A token dictionary (the form ``init(tokenDictionary:)`` reads) of the special tokens and
    /// `genes`, as JSON with sorted keys.
    public static func tokenDictionary(genes: some Sequence<(name: String, token: Int32)>) throws -> Data {
        var dictionary = specialTokenIDs
        for (name, token) in genes { dictionary[name] = token }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(dictionary)
    }

    /// The ids of ``specialTokens``: 0, 1, 2, 3.
    public static var specialTokenIDs: [String: Int32] {
        Dictionary(uniqueKeysWithValues: specialTokens.enumerated().map { ($1, Int32($0)) })
    }

    /// Token of each gene name (dataset vocabularies are looked up by gene id).
    public func tokensByName() -> [String: Int32] {
        Dictionary(genes.map { ($0.name, $0.token) }, uniquingKeysWith: { first, _ in first })
    }

    /// The canonical JSON bytes (sorted keys, so the checksum is stable).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// SHA-256 of ``jsonData()``.
    public func checksum() throws -> String { Checksum.sha256(try jsonData()) }
}
