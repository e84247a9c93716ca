public import SluiceFormats

/// How one dataset's genes become tokens: the result of the HGNC-mapping step.
public struct GenePlan: Sendable, Hashable, Codable {
    /// Token id of each dataset gene, or `nil` for a gene without one.
    public var tokenOfGene: [Int32?]
    /// Whether each dataset gene is mitochondrial (its symbol starts with `MT-`).
    public var mitochondrial: [Bool]
    /// Mapping counts (HGNC mapping only).
    public var mapping: GeneMapper.Summary?
    /// Genes whose id an earlier gene of the file already has (their counts are summed into one
    /// token, as Geneformer sums duplicate ids); nil in plans written before they were counted.
    public var duplicateGeneIDs: Int?

    /// How many of `ids` repeat an id seen before them.
    static func duplicates(_ ids: [String]) -> Int { ids.count - Set(ids).count }

    /// Whether each gene is mitochondrial by the name it is known by (``names(of:symbolColumn:)``):
    /// its symbol column's when there is one, else its index's.
    static func mitochondrial(_ genes: Frame, symbolColumn: String?) -> [Bool] {
        names(of: genes, symbolColumn: symbolColumn).map { ($0.count > 1 ? $0[1] : $0[0]).hasPrefix("MT-") }
    }

    /// The names a gene is known by: its index, and its symbol column when the file has one
    /// (`gene_symbols`, or `feature_name` in CELLxGENE's files, whose index holds Ensembl ids).
    static func names(of genes: Frame, symbolColumn: String?) -> [[String]] {
        let symbols = symbolColumn.flatMap { genes[$0] } ?? genes["gene_symbols"] ?? genes["feature_name"]
        return (0..<genes.rowCount).map { g in
            [genes.index[g]] + (symbols?.text(at: g).map { [$0] } ?? [])
        }
    }

    /// Plan from an HGNC mapping: tokens and mitochondrial flags follow the approved symbol;
    /// unmapped and ambiguous genes have neither.
    public init(genes: Frame, mapper: GeneMapper, symbolColumn: String? = nil) {
        let (mappings, summary) = mapper.map(genes: Self.names(of: genes, symbolColumn: symbolColumn))
        tokenOfGene = mappings.map { $0.gene.map { Int32(Vocabulary.specialTokens.count + $0) } }
        mitochondrial = mappings.map { mapping in
            mapping.gene.map { mapper.table.genes[$0].symbol.hasPrefix("MT-") } ?? false
        }
        mapping = summary
        duplicateGeneIDs = Self.duplicates(genes.index)
    }

    /// Plan from the dataset's own gene ids (no HGNC table): the symbol for `MT-` is the symbol
    /// column when there is one, else the index. `ids` are the ids the vocabulary is keyed by
    /// (default: the index; see ``geneIDs(of:column:)``).
    public init(genes: Frame, vocabulary: Vocabulary, symbolColumn: String? = nil, ids: [String]? = nil) {
        let tokens = vocabulary.tokensByName()
        let ids = ids ?? genes.index
        tokenOfGene = ids.map { tokens[$0] }
        mitochondrial = Self.mitochondrial(genes, symbolColumn: symbolColumn)
        mapping = nil
        duplicateGeneIDs = Self.duplicates(ids)
    }

    /// The var columns that hold Ensembl ids in common files, in the order they are looked for:
    /// Geneformer's, scanpy's 10x reader's, CELLxGENE's.
    public static let geneIDColumns = ["ensembl_id", "gene_ids", "feature_id"]

    /// Each gene's id as a token dictionary keyed by Ensembl ids (Geneformer's) names it: from
    /// `column`, or else the first of ``geneIDColumns`` the file has, or else the index; an
    /// Ensembl id's version suffix is cut (`ENSG00000141510.17` → `ENSG00000141510`).
    public static func geneIDs(of genes: Frame, column: String?) throws -> [String] {
        let chosen = column ?? geneIDColumns.first { genes[$0] != nil }
        var ids = genes.index
        if let chosen {
            guard let values = genes[chosen] else {
                throw PreprocessError(code: "no-gene-id-column", message: "var has no column \(chosen) (--gene-id-column); its columns are \(genes.columns.map(\.name).joined(separator: ", "))")
            }
            ids = (0..<genes.rowCount).map { values.text(at: $0) ?? "" }
        }
        return ids.map { GeneMapper.ensemblStem($0) ?? $0 }
    }
}
