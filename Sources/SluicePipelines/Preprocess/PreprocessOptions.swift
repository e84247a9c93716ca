public import SluiceFormats

/// Everything `sluice preprocess` is told: folders, tokenization, split and cleanup.
///
/// Names and defaults follow the Python tool users migrate from, so their scripts keep working.
public struct PreprocessOptions: Sendable {
    public var inputDirectory = "./data/input"
    public var interimDirectory = "./data/interim"
    public var outputDirectory = "./data/output"
    public var logDirectory = "./logs"
    public var convert = ConvertOptions()
    /// Fraction of cells (or donors) in the test split.
    public var testSize = 0.05
    public var skipTrainTestSplit = false
    /// Split whole groups (e.g. `donor_id`) instead of single cells.
    public var splitBy: String?
    public var seed: UInt64 = 42
    public var keepInterim = false
    /// Whether the convert step keeps the counts it decodes in `interim/<dataset>/counts.spill`
    /// for its later passes (``DatasetConverter/spillFolder``) rather than reading the input
    /// again each time. It is skipped, with a warning, when the interim folder's filesystem has
    /// less than twice a generous estimate of its size free.
    public var spillCounts = true
    /// The most bytes the spill may take (``DatasetConverter/spillLimit``); nil: no limit.
    public var spillLimit: Int64?
    /// The HGNC complete set; without it (and without ``vocabularyPath``), the datasets' own
    /// gene ids make the vocabulary.
    public var hgncPath: String?
    /// A token dictionary (``GeneValueTable``: gene id → token id, e.g. Geneformer's) that
    /// fixes the vocabulary; genes are looked up by ``geneIDColumn``.
    public var vocabularyPath: String?
    /// A median table (``GeneValueTable``: gene → non-zero median, e.g. Geneformer's
    /// `gene_median_dictionary`) used instead of each dataset's own medians; genes without one
    /// are left out, as Geneformer leaves them out.
    public var mediansPath: String?
    /// The var column whose ids the token dictionary names (``GenePlan/geneIDs(of:column:)``);
    /// nil: the first of ``GenePlan/geneIDColumns`` the file has, else the index.
    public var geneIDColumn: String?
    /// A model family's tokenizer settings (``TokenPreset``).
    public var preset: TokenPreset?
    /// The matrix to rank (`X`, `raw`, `layers/NAME`); nil: the counts (``CountMatrixChoice``).
    public var matrix: String?
    /// Which typed features (`feature_types`) count as genes; nil: the format's default
    /// (gene expression in 10x files, see ``CellSourceOpener/open(_:matrix:scratchDirectory:features:)``).
    public var features: FeatureSelection?
    /// A var column holding gene symbols (default: the index, and `gene_symbols` or `feature_name` when present).
    public var geneSymbolColumn: String?
    /// Where the convert step records its progress inside its passes (``ConvertCheckpoint``), so
    /// that a stopped run resumes there; nil: no checkpoints.
    public var checkpointFolder: String?
    /// Wall time between two checkpoints inside a pass.
    public var checkpointInterval: Duration = .seconds(300)

    public init() {}
}
