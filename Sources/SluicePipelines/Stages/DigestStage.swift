import Foundation
public import SluiceEngine
import SluiceFormats

/// Corpus-wide gene medians inside a run, in two stages of this kind (docs/pipeline.md):
///
/// - per item (the default): `sluice preprocess digest` on the dataset the item fetched, in its
///   own process as every read of a cells file in a run is, writing `interim/<item>/<name>/genes.digest`;
/// - with `per: all` (a barrier) or `per: group`: the merge of every member's digest into
///   `interim/groups/<group>/<name>/medians.json` (gene → median, for a `preprocess` stage's
///   `medians: corpus`) and the merged `genes.digest`, in this process — the digests are the
///   run's own files, read with the format's checks.
///
/// A digest counts the values the tokenizer ranks, so the per-item stage takes the options that
/// choose them (matrix, gene ids, filters) as the `preprocess` stage that uses the medians does.
public struct DigestStage: ConfigurableStage {
    public static let kind = "digest"
    public let header: StageHeader
    /// Whether each run digests one item or merges a group's (or every item's) digests.
    public let per: CommandStageOptions.Scope
    /// What `sluice preprocess digest` is given besides the file.
    let arguments: [String]
    /// Bytes reserved for a digest, as a multiple of its dataset's size (plus 1 MiB).
    let outputRatio: Double
    private let executable: String

    /// The per-item digest's file name, and the merged medians'.
    public static let digestFile = "genes.digest"
    public static let mediansFile = "medians.json"

    public init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        let keys = try options.keys(known: [
            "per", "matrix", "gene_id_column", "min_genes", "min_counts", "max_pct_mito", "allow_non_counts", "chunk_size", "relative_error",
            "output_ratio",
        ])
        per = try keys["per"]?.choice(CommandStageOptions.Scope.self) ?? .item
        var arguments: [String] = []
        for (key, flag) in [("matrix", "--matrix"), ("gene_id_column", "--gene-id-column")] {
            if let value = keys[key] { arguments += [flag, try value.string()] }
        }
        if let value = keys["min_genes"] { arguments += ["--min-genes", "\(try value.int())"] }
        if let value = keys["min_counts"] { arguments += ["--min-counts", "\(try value.double())"] }
        if let value = keys["max_pct_mito"] { arguments += ["--max-pct-mito", "\(try value.double(in: 0...100))"] }
        if let value = keys["chunk_size"] { arguments += ["--chunk-size", "\(try value.int(atLeast: 1))"] }
        if let value = keys["relative_error"] { arguments += ["--relative-error", "\(try value.double(in: 0.0001...0.4999))"] }
        if let value = keys["allow_non_counts"], try value.bool() { arguments.append("--allow-non-counts") }
        if per != .item,
            let key = ["matrix", "gene_id_column", "min_genes", "min_counts", "max_pct_mito", "allow_non_counts", "chunk_size", "relative_error"]
                .first(where: { keys[$0] != nil })
        {
            throw options.error(.badValue, "\(options.path): \(key) chooses what each item's digest counts; give it to the per-item digest stage, not the merge")
        }
        self.arguments = arguments
        outputRatio = try keys["output_ratio"]?.double(in: 0...1000) ?? 1.0
        executable = CommandStage.runningSluice() ?? "sluice"
    }

    public var scheduling: StageScheduling {
        switch per {
        case .item: .perItem
        case .group: .perGroup
        case .all: .barrier
        }
    }

    public var outputArea: Area? { .interim }
    /// The merge consumes the digests; an item's digest stage releases what it read only when
    /// no later stage reads it again (a tokenizing stage usually does, with `from:`).
    public var consumesInputs: Bool { true }

    public func outputFolder(item: String, isGroup: Bool) -> String? {
        isGroup ? "interim/groups/\(item)/\(name)" : "interim/\(item)/\(name)"
    }

    /// A digest holds at most 8 bytes per stored value and in practice far fewer (values share
    /// buckets); the merge at most its inputs. Settled to what was written.
    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 {
        (per == .item ? Int64(Double(inputBytes) * outputRatio) : inputBytes) + (1 << 20)
    }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        for unit in units {
            guard let partial = unit.partialOutput else { continue }
            if unit.isCollective {
                try merge(unit.memberInputs, of: unit.name, into: partial)
            } else if let input = unit.input {
                let file = try PreprocessStage.datasetFile(in: input, item: unit.item.name)
                var command = CommandStageOptions()
                command.argv = [executable, "preprocess", "digest", file, "--digest-out", "{out}/\(Self.digestFile)"] + arguments
                command.outputs = [Self.digestFile]
                command.area = .interim
                try await CommandStage(header: header, command: command).run([unit], context: context)
            }
        }
    }

    /// Merges the members' digests (each `genes.digest` in `folders`) into `partial`.
    private func merge(_ folders: [String], of group: String, into partial: String) throws {
        let files = try folders.map { folder in
            let path = folder + "/" + Self.digestFile
            guard FileManager.default.fileExists(atPath: path) else {
                throw StageError(code: "digest.missing", "\(group): \(path), a member's digest, does not exist")
            }
            return try GeneDigestFile(contentsOf: path)
        }
        guard !files.isEmpty else { throw StageError(code: "digest.missing", "\(group): no member has a digest to merge") }
        let merged = try GeneDigestFile.merged(files)
        try merged.write(to: partial + "/" + Self.digestFile)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicCommit.write(try encoder.encode(merged.medians()), to: partial + "/" + Self.mediansFile)
    }

    /// The merged medians a `medians: corpus` stage reads for `item`: its group's, or else every item's.
    public static func corpusMedians(stage: String, item: ItemSpec, workspace: Workspace) throws -> String? {
        try [item.groupName, ItemSpec.defaultGroup].map { try workspace.absolute("interim/groups/\($0)/\(stage)/\(mediansFile)") }
            .first { FileManager.default.fileExists(atPath: $0) }
    }
}
