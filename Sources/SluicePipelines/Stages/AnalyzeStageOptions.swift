import Foundation
import SluiceEngine

/// The options of an `analyze` stage: one `sluice analyze` command per item, run as a program
/// (its own process, log, timeout and output check, like a `command` stage).
public struct AnalyzeStageOptions: Sendable, Equatable {
    public enum Analysis: String, Sendable, CaseIterable {
        case activity, pseudobulk, differential, correlate, composition, specificity, validate, trends, programs, drivers, scores, response
        case crossAtlas = "cross-atlas"

        /// Whether it reads a cells file (which a CSC or Matrix Market layout makes sort by cell
        /// into scratch space); the others read tables (`validate` the files its options name).
        public var readsCells: Bool { [.activity, .pseudobulk, .differential, .composition, .scores].contains(self) }

        /// Whether the item's file is the command's first argument; `validate` takes every file
        /// by an option (`celltype_activity: "{in}/zscore.tsv"`, `celltype_expression:
        /// "{out:pseudobulk}/pseudobulk_mean.h5ad"`).
        public var takesInputArgument: Bool { self != .validate }

        /// Whether it reads every item's input at once (a barrier stage, once all items are
        /// done): `cross-atlas`, each item an atlas.
        public var readsEveryItem: Bool { self == .crossAtlas }
    }
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
    /// Seconds between the checkpoints of an analysis that takes them (``AnalysisCheckpoint``),
    /// kept in the partial output so that an interrupted attempt resumes on any worker; nil
    /// (`checkpoint_every: off`, and for analyses without checkpoints): every attempt starts afresh.
    public var checkpointEvery: Double?
    /// The fewest cells an input has for the analysis to take checkpoints.
    public var checkpointMinCells = 200_000
    /// Bytes reserved for the checkpoints on top of the outputs; nil: as much as for the outputs
    /// (a pseudobulk state is 12 bytes × groups × genes; one that does not fit is skipped), or
    /// for single-cell activity its spill of results (16 bytes a cell and signature) and 1 MiB.
    public var checkpointSpace: Int64?

    public init() {}

    /// Options whose values name files (relative to the pipeline file) unless they name a built-in table.
    private static let pathOptions = ["signature", "signature_dir", "hierarchy", "scratch", "covariates", "mapping", "expected", "samples", "labels", "composition", "markers"]
    private static let builtInSignatures = ["cytosig", "secact"]

    /// Parses an `analyze` entry's options.
    init(_ options: StageOptions) throws {
        let keys = try options.keys(known: [
            "run", "options", "input", "executable", "timeout", "reserve", "output_ratio", "delete_inputs", "checkpoint_every",
            "checkpoint_min_cells", "checkpoint_space",
        ])
        let known = Analysis.allCases.map(\.rawValue).joined(separator: ", ")
        guard let run = keys["run"] else {
            throw options.error(.missingKey, "\(options.path) needs 'run', the analysis to run on each item (\(known))")
        }
        let text = try run.string()
        guard let analysis = Analysis(rawValue: text) else {
            throw run.error(.badValue, "\(run.path): '\(text)' is not an analysis (known: \(known))")
        }
        self.analysis = analysis
        if let table = keys["options"] {
            guard let entries = table.orderedMapping else {
                throw table.error(.badValue, "\(table.path) must be a mapping of `sluice analyze \(text)` options, e.g. {signature: cytosig, n_rand: 1000}")
            }
            for (key, value) in entries {
                let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
                guard !["--output", "--help"].contains(flag) else {
                    throw value.error(.badValue, "\(value.path): the stage sets --output itself (its output folder)")
                }
                if let list = value.sequence {
                    arguments += [flag, try list.map { try $0.string() }.joined(separator: ",")]
                    continue
                }
                let scalar = try value.string()
                switch scalar {
                case "true": arguments.append(flag)
                case "false": break
                default:
                    // Files named by the options are relative to the pipeline file, like every path in it.
                    let isPath = Self.pathOptions.contains(key) && !Self.builtInSignatures.contains(scalar.lowercased())
                    arguments += [flag, isPath ? options.absolute(scalar) : scalar]
                }
            }
        }
        if let value = keys["input"] { input = try value.string() }
        if let value = keys["executable"] { executable = options.absolute(try value.string()) }
        if let value = keys["timeout"] { timeout = try value.seconds() }
        if let value = keys["reserve"] { reserveBytes = try value.bytes() }
        if let value = keys["output_ratio"] { outputRatio = try value.double(in: 0...1000) }
        if let value = keys["delete_inputs"] { deleteInputs = try value.bool() }
        if takesCheckpoints { checkpointEvery = 300 }
        for key in ["checkpoint_every", "checkpoint_min_cells", "checkpoint_space"] where keys[key] != nil && !takesCheckpoints {
            throw options.error(
                .badValue,
                "\(options.path): '\(key)' applies to analyses that take checkpoints (pseudobulk, differential, single-cell activity), not \(text)\(analysis == .activity ? " without single_cell" : "")"
            )
        }
        if let value = keys["checkpoint_every"] { checkpointEvery = try value.string() == "off" ? nil : try value.seconds() }
        if let value = keys["checkpoint_min_cells"] { checkpointMinCells = try value.int(atLeast: 0) }
        if let value = keys["checkpoint_space"] { checkpointSpace = try value.bytes() }
    }

    /// Whether the analysis records checkpoints (`--checkpoint-dir`): pseudobulk, differential,
    /// and single-cell activity.
    public var takesCheckpoints: Bool {
        switch analysis {
        case .pseudobulk, .differential: true
        case .activity: arguments.contains("--single-cell")
        case .correlate, .composition, .specificity, .crossAtlas, .validate, .trends, .programs, .drivers, .scores, .response: false
        }
    }

    /// The file every run must leave in its output folder.
    public var expectedOutput: String {
        switch analysis {
        case .activity: arguments.contains("--single-cell") ? "activity.h5ad" : "zscore.tsv"
        case .pseudobulk: "pseudobulk.h5ad"
        case .differential: "differential.tsv"
        case .correlate: "correlations.tsv"
        case .composition: exported("samples", study: "composition")
        case .specificity: exported("specificity", study: "specificity")
        case .crossAtlas: exported("mapping", study: "cross_atlas")
        case .validate: exported("quality", study: "validation")
        case .trends: exported("trends", study: "trends")
        case .programs: exported("programs", study: "programs")
        case .drivers: exported("drivers", study: "drivers")
        case .scores: exported("groups", study: "scores")
        case .response: exported("coefficients", study: "response")
        }
    }

    /// The file a study writes for `table` in its `--format` (``ExportFormat``): one file a
    /// table, or `study.json`.
    private func exported(_ table: String, study: String) -> String {
        let format = arguments.firstIndex(of: "--format").flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil } ?? "tsv"
        return format == "json" || format == "h5ad" ? "\(study).\(format)" : "\(table).\(format)"
    }
}
