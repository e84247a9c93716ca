import Foundation
import SluiceEngine

/// The options of a `preprocess` stage: the `sluice preprocess run-all` options.
public struct PreprocessStageOptions: Sendable, Equatable {
    /// Cells read at a time (`chunk_size`). Smaller than the CLI's 10,000: in a run, several
    /// stages' processes share the memory (same tokens; 404 against 768 MB of RSS, at the same
    /// speed, on a 45,000-cell dataset 10 % dense).
    public var chunkSize = 4_096
    /// Bytes at which a shard is closed (`shard_size`); nil: the builder's default, 500 MB.
    public var shardBytes: Int64?
    /// Tokens kept per cell; nil: the builder's default (2,000) or the preset's.
    public var topGenes: Int?
    /// A model family's tokenizer settings (`geneformer-30m`, `geneformer-95m`).
    public var preset: TokenPreset?
    /// A token dictionary (absolute) that fixes the vocabulary of every item.
    public var vocabulary: String?
    /// A median table (absolute) used instead of each item's own medians.
    public var medians: String?
    /// The `digest` stage (`per: all` or `per: group`) whose merged medians every item uses
    /// (`medians: corpus`, with `medians_from`, default `medians`).
    public var corpusMedians: String?
    /// The var column whose ids the token dictionary names.
    public var geneIDColumn: String?
    public var testSize = 0.05
    public var skipSplit = false
    /// The HGNC table (absolute) that maps gene symbols to Ensembl ids.
    public var hgnc: String?
    public var minGenes: Int?
    public var minCounts: Double?
    public var maxPctMito: Double?
    public var splitBy: String?
    public var seed: UInt64 = 42
    /// The h5ad matrix to rank (`X`, `raw`, `layers/NAME`); nil: the counts.
    public var matrix: String?
    /// Rank values that are not whole numbers instead of failing the item.
    public var allowNonCounts = false
    /// Bytes reserved before the stage runs, as a multiple of its input's size.
    public var outputRatio = 2.0
    /// Keep the decoded counts for the builder's later passes (faster, for about 9/8 of the
    /// input's size more scratch space); off by default, since the budget is what `sluice run`
    /// guards first.
    public var spill = false
    /// Seconds between the builder's checkpoints inside a pass (``ConvertCheckpoint``), kept in
    /// the partial output so that an interrupted attempt resumes there on any worker; nil
    /// (`checkpoint_every: off`): every attempt starts from the beginning.
    public var checkpointEvery: Double? = 300
    /// The fewest cells a dataset has for its builder to take checkpoints: a smaller one starts
    /// again in less time than its checkpoints would cost (their peak, about 60 bytes a cell and
    /// 5 KB a gene, is reserved from the budget).
    public var checkpointMinCells = 200_000

    public init() {}

    /// Parses a `preprocess` entry's options.
    init(_ options: StageOptions) throws {
        let keys = try options.keys(known: [
            "chunk_size", "top_genes", "test_size", "skip_train_test_split", "hgnc", "min_genes", "min_counts",
            "max_pct_mito", "split_by", "seed", "output_ratio", "matrix", "allow_non_counts", "spill", "checkpoint_every",
            "checkpoint_min_cells", "preset", "vocabulary", "medians", "medians_from", "gene_id_column", "shard_size",
        ])
        if let value = keys["chunk_size"] { chunkSize = try value.int(atLeast: 1) }
        if let value = keys["shard_size"] { shardBytes = try value.bytes() }
        if let value = keys["top_genes"] { topGenes = try value.int(atLeast: 1) }
        if let value = keys["test_size"] { testSize = try value.double(in: 0...1) }
        if let value = keys["skip_train_test_split"] { skipSplit = try value.bool() }
        /// The absolute path of an existing file that `key` names.
        func file(_ key: String, _ what: String) throws -> String? {
            guard let value = keys[key] else { return nil }
            let path = options.absolute(try value.string())
            guard FileManager.default.fileExists(atPath: path) else {
                throw value.error(.missingFile, "\(value.path): the \(what) \(path) does not exist")
            }
            return path
        }
        hgnc = try file("hgnc", "HGNC table")
        vocabulary = try file("vocabulary", "token dictionary")
        switch try keys["medians"]?.string() {
        case "corpus": corpusMedians = try keys["medians_from"]?.string() ?? "medians"
        case "dataset", nil: break
        default: medians = try file("medians", "median table")
        }
        if corpusMedians == nil, let value = keys["medians_from"] {
            throw value.error(.badValue, "\(value.path) names the stage that merges corpus medians; it goes with medians: corpus")
        }
        if let value = keys["gene_id_column"] { geneIDColumn = try value.string() }
        if let value = keys["preset"] {
            let name = try value.string()
            guard let preset = TokenPreset(rawValue: name) else {
                throw value.error(.badValue, "\(value.path) must be one of \(TokenPreset.allCases.map(\.rawValue).joined(separator: ", ")), not \(name)")
            }
            guard keys["top_genes"] == nil else {
                throw value.error(.badValue, "\(value.path): preset \(name) sets the tokens per cell (\(preset.topGenes)); leave out top_genes")
            }
            self.preset = preset
        }
        if hgnc != nil, let value = keys["vocabulary"] {
            throw value.error(.badValue, "\(value.path): give hgnc or vocabulary, not both: each makes the vocabulary")
        }
        if let value = keys["min_genes"] { minGenes = try value.int() }
        if let value = keys["min_counts"] { minCounts = try value.double() }
        if let value = keys["max_pct_mito"] { maxPctMito = try value.double(in: 0...100) }
        if let value = keys["split_by"] { splitBy = try value.string() }
        if let value = keys["matrix"] { matrix = try value.string() }
        if let value = keys["allow_non_counts"] { allowNonCounts = try value.bool() }
        if let value = keys["seed"] { seed = UInt64(try value.int()) }
        if let value = keys["output_ratio"] { outputRatio = try value.double(in: 0...1000) }
        if let value = keys["spill"] { spill = try value.bool() }
        if let value = keys["checkpoint_min_cells"] { checkpointMinCells = try value.int(atLeast: 0) }
        if let value = keys["checkpoint_every"] { checkpointEvery = try value.string() == "off" ? nil : try value.seconds() }
    }
}
