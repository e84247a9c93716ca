/// One stage of a pipeline, as declared: its kind, its unique name and the options of that kind.
public struct StageSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case fetch, preprocess, command, cleanup }

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
    public var cleanup = Cleanup()
    /// The line of the pipeline file that declared it.
    public var line: Int?

    public init(kind: Kind, name: String, concurrency: Int = 1, retries: Int = 0) {
        self.kind = kind
        self.name = name
        self.concurrency = concurrency
        self.retries = retries
    }
}
