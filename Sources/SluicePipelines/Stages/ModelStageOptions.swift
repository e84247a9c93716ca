import Foundation
import SluiceEngine

/// The options of a `model` stage (docs/pipeline.md).
public struct ModelStageOptions: Sendable, Equatable {
    /// Items per update, in item order (the last batch may be smaller).
    public var every = 1
    /// Seconds a batch's first item waits for the others before the batch goes with fewer (when
    /// the budget cannot hold `every` items at once); nil: batches are always `every` items, and
    /// the same whatever the timing.
    public var maxWait: Double?
    /// The built-in model's feature genes (a file, absolute); nil with `command`.
    public var features: String?
    public var components = 50
    /// Cells per `partial_fit`.
    public var chunkSize = 1000
    public var matrix: String?
    public var geneIDColumn: String?
    /// An external trainer's argv, with `{checkpoint}`, `{batch}` and `{next_checkpoint}`.
    public var command: [String]?
    /// Seconds before an external trainer is stopped; nil waits for ever.
    public var timeout: Double?
    /// Versions kept: the last `keepLast`, and every `keepEvery`-th (0: none besides).
    public var keepLast = 2
    public var keepEvery = 0
    /// Bytes reserved in `checkpoints/` for a new version; nil: the built-in model's size bound.
    public var versionBytes: Int64?

    /// The placeholders an external trainer's argv may hold, besides `{ref}`-less command ones.
    static let placeholders = ["{checkpoint}", "{batch}", "{next_checkpoint}"]

    init(_ options: StageOptions) throws {
        let keys = try options.keys(known: [
            "every", "max_wait", "features", "components", "chunk_size", "matrix", "gene_id_column", "command", "timeout", "keep_last", "keep_every", "version_bytes",
        ])
        if let value = keys["every"] { every = try value.int(atLeast: 1) }
        if let value = keys["max_wait"] { maxWait = try value.seconds() }
        if let value = keys["components"] { components = try value.int(atLeast: 1) }
        if let value = keys["chunk_size"] { chunkSize = try value.int(atLeast: 1) }
        if let value = keys["matrix"] { matrix = try value.string() }
        if let value = keys["gene_id_column"] { geneIDColumn = try value.string() }
        if let value = keys["keep_last"] { keepLast = try value.int(atLeast: 1) }
        if let value = keys["keep_every"] { keepEvery = try value.int(atLeast: 0) }
        if let value = keys["timeout"] { timeout = try value.seconds() }
        if let value = keys["version_bytes"] { versionBytes = try value.bytes() }
        if let value = keys["features"] {
            let path = options.absolute(try value.string())
            guard FileManager.default.fileExists(atPath: path) else {
                throw value.error(.missingFile, "\(value.path): the feature list \(path) does not exist")
            }
            features = path
        }
        if let value = keys["command"] {
            let argv = try value.strings()
            guard !argv.isEmpty else { throw value.error(.badValue, "\(value.path) must name a program") }
            guard argv.contains(where: { $0.contains("{next_checkpoint}") }) else {
                throw value.error(.badValue, "\(value.path) must pass {next_checkpoint}, the folder the trainer writes the new version to")
            }
            if let key = ["features", "components", "chunk_size", "matrix", "gene_id_column"].first(where: { keys[$0] != nil }) {
                throw value.error(.badValue, "\(value.path): \(key) sets the built-in model; an external trainer takes its own settings")
            }
            command = argv
        } else if features == nil {
            throw options.error(.badValue, "\(options.path): the built-in model needs features (a file of gene ids), or give a command")
        }
        if command != nil, versionBytes == nil {
            throw options.error(.badValue, "\(options.path): give version_bytes, the most a version of the external trainer's model takes")
        }
    }
}
