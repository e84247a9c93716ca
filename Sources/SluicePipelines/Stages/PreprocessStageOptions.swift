import Foundation
import SluiceEngine

/// The options of a `preprocess` stage: the `sluice preprocess run-all` options.
public struct PreprocessStageOptions: Sendable, Equatable {
    public var chunkSize = 10_000
    public var topGenes = 2_000
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
            "checkpoint_min_cells",
        ])
        if let value = keys["chunk_size"] { chunkSize = try value.int(atLeast: 1) }
        if let value = keys["top_genes"] { topGenes = try value.int(atLeast: 1) }
        if let value = keys["test_size"] { testSize = try value.double(in: 0...1) }
        if let value = keys["skip_train_test_split"] { skipSplit = try value.bool() }
        if let value = keys["hgnc"] {
            let path = options.absolute(try value.string())
            guard FileManager.default.fileExists(atPath: path) else {
                throw value.error(.missingFile, "\(value.path): the HGNC table \(path) does not exist")
            }
            hgnc = path
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
