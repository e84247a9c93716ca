/// One stage of a pipeline, as declared: its kind, its unique name and the options of that kind.
public struct StageSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case fetch, preprocess, command, analyze, cleanup }

    /// Options of a `fetch` stage.
    public struct Fetch: Sendable, Equatable {
        /// How local files (paths, `file://` URLs) reach `raw/`.
        public enum LocalMode: String, Sendable { case copy, hardLink, inPlace }
        /// `copy: true` copies (default), `copy: link` hard-links, `copy: false` links to the
        /// original and reads it in place (a symbolic link: no bytes held in the workspace).
        public var local: LocalMode = .copy
        /// Per-request connection and idle-read timeout, seconds.
        public var timeout = 60.0
        public init() {}
    }

    /// Options of a `preprocess` stage: the `sluice preprocess run-all` options.
    public struct Preprocess: Sendable, Equatable {
        public var chunkSize = 10_000
        public var topGenes = 2_000
        public var testSize = 0.05
        public var skipSplit = false
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
        public init() {}
    }

    /// Options of a `command` stage.
    public struct Command: Sendable, Equatable {
        public enum Scope: String, Sendable { case item, group }
        public var argv: [String] = []
        public var per: Scope = .item
        /// Items per run of the program (1: one run per item).
        public var batch = 1
        /// A batch also closes once its items' input bytes reach this.
        public var batchBytes: Int64?
        /// Seconds before the program is stopped; nil waits for ever.
        public var timeout: Double?
        /// Files (globs allowed) that must exist and be non-empty in `{out}` after the run.
        public var outputs: [String] = []
        /// The area the outputs go to.
        public var area: Area = .output
        /// Bytes reserved before the program runs: fixed, or a multiple of the input's size.
        public var reserveBytes: Int64?
        public var outputRatio = 1.0
        /// The folder `{ref}` stands for (absolute).
        public var reference: String?
        /// Delete the stage's inputs once its outputs are committed (inputs in `raw`/`interim` only).
        public var deleteInputs = true
        public init() {}
    }

    /// Options of an `analyze` stage: one `sluice analyze` command per item, run as a program
    /// (its own process, log, timeout and output check, like a `command` stage).
    public struct Analyze: Sendable, Equatable {
        public enum Analysis: String, Sendable, CaseIterable { case activity, pseudobulk, differential, correlate }
        public var analysis: Analysis = .activity
        /// The command's options as command-line arguments (`n_rand: 1000` → `--n-rand 1000`).
        public var arguments: [String] = []
        /// The file of the item's input folder to analyse (a glob); nil: the folder's one file,
        /// or its one cells file (`.h5ad`, `.h5`, `.loom`).
        public var input: String?
        /// The sluice binary that runs the analysis; nil: the running one.
        public var executable: String?
        /// Seconds before the analysis is stopped; nil waits for ever.
        public var timeout: Double?
        /// Bytes reserved before it runs: fixed, or a multiple of the input's size.
        public var reserveBytes: Int64?
        public var outputRatio = 0.5
        /// Delete the stage's inputs once its outputs are committed (inputs in `raw`/`interim` only).
        public var deleteInputs = true
        public init() {}

        /// The file every run must leave in its output folder.
        public var expectedOutput: String {
            switch analysis {
            case .activity: arguments.contains("--single-cell") ? "activity.h5ad" : "zscore.tsv"
            case .pseudobulk: "pseudobulk.h5ad"
            case .differential: "differential.tsv"
            case .correlate: "correlations.tsv"
            }
        }
    }

    /// Options of a `cleanup` stage.
    public struct Cleanup: Sendable, Equatable {
        /// Areas whose files for the item stay; everything else of the item is deleted.
        public var keep: Set<Area> = [.output]
        public init() {}
    }

    public var kind: Kind
    public var name: String
    public var concurrency: Int
    /// Attempts after the first for transient failures (network, timeouts).
    public var retries: Int
    public var fetch = Fetch()
    public var preprocess = Preprocess()
    public var command = Command()
    public var analyze = Analyze()
    public var cleanup = Cleanup()
    /// The earlier stage whose outputs this stage reads (`from:`); nil: the nearest earlier
    /// stage that writes outputs. Inputs are deleted by the last stage that reads them.
    public var from: String?
    /// The line of the pipeline file that declared it.
    public var line: Int?

    public init(kind: Kind, name: String, concurrency: Int = 1, retries: Int = 0) {
        self.kind = kind
        self.name = name
        self.concurrency = concurrency
        self.retries = retries
    }
}
