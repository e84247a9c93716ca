import Foundation
public import SluiceEngine
import SluiceFormats

/// Corpus-wide gene medians inside a run, in two stages of this kind (docs/pipeline.md):
///
/// - per item (the default), a batch of `every` items at a time: `sluice preprocess digest` on
///   each item's dataset (in its own process, as every read of a cells file in a run is; up to
///   `parallel` at once), each digest merged into the digest of every item so far, kept as
///   versions in `checkpoints/<name>/<group>/` (``StageVersions``: committed before the batch's
///   task completes, so a crash never merges an item twice) — one merged digest on disk, not one
///   per item waiting for the last; the item keeps `interim/<item>/<name>/merged.json`;
/// - with `per: all` (a barrier) or `per: group`: once every member is merged, the medians of the
///   latest version, `interim/groups/<group>/<name>/medians.json` (gene → median), for a
///   `preprocess` stage's `medians: corpus`.
///
/// A digest counts the values the tokenizer ranks, so the per-item stage takes the options that
/// choose them (matrix, gene ids, filters) as the `preprocess` stage that uses the medians does.
public struct DigestStage: ConfigurableStage {
    public static let kind = "digest"
    public let header: StageHeader
    /// Whether each run digests a batch of items or reads a group's (or every item's) medians.
    public let per: CommandStageOptions.Scope
    /// What `sluice preprocess digest` is given besides the file.
    let arguments: [String]
    /// Bytes reserved for an item's digest, as a multiple of its dataset's size (plus 1 MiB).
    let outputRatio: Double
    /// Items per batch, and digests made at once.
    let every: Int
    let parallel: Int
    /// Whether items are merged per group (for a `per: group` medians stage) rather than all together.
    let byGroup: Bool
    private let executable: String

    /// The digest's file name, and the medians'.
    public static let digestFile = "genes.digest"
    public static let mediansFile = "medians.json"

    public init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        let perItem = ["matrix", "gene_id_column", "min_genes", "min_counts", "max_pct_mito", "allow_non_counts", "chunk_size", "relative_error", "every", "parallel", "by_group"]
        let keys = try options.keys(known: ["per", "output_ratio"] + perItem)
        per = try keys["per"]?.choice(CommandStageOptions.Scope.self) ?? .item
        if per == .groupFirst {
            throw options.error(.badValue, "\(options.path): a digest reads its members' files, so it cannot run per: group-first")
        }
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
        if per != .item, let key = perItem.first(where: { keys[$0] != nil }) {
            throw options.error(.badValue, "\(options.path): \(key) is an option of the per-item digest stage, not of the one that reads the medians")
        }
        self.arguments = arguments
        every = try keys["every"]?.int(atLeast: 1) ?? 4
        parallel = try keys["parallel"]?.int(atLeast: 1) ?? 2
        byGroup = try keys["by_group"]?.bool() ?? false
        outputRatio = try keys["output_ratio"]?.double(in: 0...1000) ?? 1.0
        if per == .item, header.concurrency != 1 {
            throw options.error(.badValue, "\(options.path): digests are merged one batch at a time; set parallel, not concurrency")
        }
        executable = CommandStage.runningSluice() ?? "sluice"
    }

    /// A batch goes once its first item has waited 5 s: merging is the same in any grouping,
    /// and items that cannot all be on disk at once must not wait for each other.
    public var scheduling: StageScheduling {
        switch per {
        case .item: .batch(count: every, enough: nil, maxWait: 5)
        case .group, .groupFirst: .perGroup
        case .all: .barrier
        }
    }

    public var outputArea: Area? { .interim }
    /// Releases what it read only when no later stage reads it again (a tokenizing stage
    /// usually does, with `from:`); the medians stage releases the items' marks.
    public var consumesInputs: Bool { true }

    public func outputFolder(item: String, isGroup: Bool) -> String? {
        isGroup ? "interim/groups/\(item)/\(name)" : "interim/\(item)/\(name)"
    }

    /// An item's digest (at most 8 bytes per stored value, in practice far fewer), held until it
    /// is merged; the medians, about 40 bytes a gene. Settled to what stays.
    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 {
        per == .item ? Int64(Double(inputBytes) * outputRatio) + (1 << 20) : 8 << 20
    }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        if let unit = units.first, unit.isCollective {
            try medians(unit, workspace: context.workspace)
        } else {
            try await digestAndMerge(units, context: context)
        }
    }

    /// Digests the batch's items not merged yet and merges them, group by group.
    private func digestAndMerge(_ units: [StageUnit], context: StageContext) async throws {
        let groups = Dictionary(grouping: units) { byGroup ? $0.item.groupName : ItemSpec.defaultGroup }
        for (group, members) in groups.sorted(by: { $0.key < $1.key }) {
            let versions = try Self.mergedDigests(of: name, group: group, workspace: context.workspace)
            var latest = try await versions.start(context: context)
            let merged = Set(latest?.record.items ?? [])
            let fresh = members.filter { !merged.contains($0.item.name) }
            try await digest(fresh, context: context)
            if !fresh.isEmpty {
                let digests = fresh.compactMap { $0.partialOutput.map { $0 + "/" + Self.digestFile } }
                // The new merged digest holds at most the old one's buckets and the batch's (the
                // old one is counted already, until it is deleted after the commit).
                let room = DiskUsage.measure(latest?.folder ?? "").bytes + DiskUsage.measure(digests).bytes + (1 << 20)
                let paths = (latest.map { [$0.folder + "/" + Self.digestFile] } ?? []) + digests
                latest = try await versions.next(after: latest, items: fresh.map(\.item.name), room: room, context: context) { partial in
                    try GeneDigestFile.merge(paths: paths, to: partial + "/" + Self.digestFile)
                }.version
            }
            for unit in members {
                guard let partial = unit.partialOutput else { continue }
                try? FileManager.default.removeItem(atPath: partial + "/" + Self.digestFile)
                try JSONEncoder().encode(["group": group, "version": StageVersions.name(latest?.number ?? 0)])
                    .write(to: URL(fileURLWithPath: partial + "/merged.json"))
            }
        }
    }

    /// Digests each of `units`' datasets into its partial output, `parallel` at a time.
    private func digest(_ units: [StageUnit], context: StageContext) async throws {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (position, unit) in units.enumerated() {
                if position >= parallel { try await tasks.next() }
                guard let input = unit.input else { continue }
                let file = try PreprocessStage.datasetFile(in: input, item: unit.item.name)
                var command = CommandStageOptions()
                command.argv = [executable, "preprocess", "digest", file, "--digest-out", "{out}/\(Self.digestFile)"] + arguments
                command.outputs = [Self.digestFile]
                command.area = .interim
                let stage = CommandStage(header: header, command: command)
                tasks.addTask { try await stage.run([unit], context: context) }
            }
            try await tasks.waitForAll()
        }
    }

    /// The medians of the latest merged digest of the group `unit` stands for, once every member is in it.
    private func medians(_ unit: StageUnit, workspace: Workspace) throws {
        guard let partial = unit.partialOutput, let first = unit.memberInputs.first else { return }
        // The members' marks are in interim/<item>/<digest stage>/.
        let stage = (first as NSString).lastPathComponent
        let group = unit.name
        let versions = try Self.mergedDigests(of: stage, group: group, workspace: workspace)
        guard let latest = try versions.latest() else {
            throw StageError(
                code: "digest.missing",
                "\(group): no merged digest in \(versions.folder): a per-item digest stage must come before (with by_group: true for per: group)")
        }
        let merged = Set(latest.record.items)
        if let missing = unit.itemNames.first(where: { !merged.contains($0) }) {
            throw StageError(code: "digest.missing", "\(group): \(missing) is not in the merged digest \(latest.folder)")
        }
        let medians = try GeneDigestFile.medians(of: [latest.folder + "/" + Self.digestFile]).medians
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicCommit.write(try encoder.encode(medians), to: partial + "/" + Self.mediansFile)
    }

    /// The merged digests of the per-item stage `stage` for `group`: the latest one is kept.
    private static func mergedDigests(of stage: String, group: String, workspace: Workspace) throws -> StageVersions {
        StageVersions(folder: try workspace.absolute("checkpoints/\(stage)/\(group)"), keepLast: 1, keepEvery: 0)
    }

    /// The merged medians a `medians: corpus` stage reads for `item`: its group's, or else every item's.
    public static func corpusMedians(stage: String, item: ItemSpec, workspace: Workspace) throws -> String? {
        try [item.groupName, ItemSpec.defaultGroup].map { try workspace.absolute("interim/groups/\($0)/\(stage)/\(mediansFile)") }
            .first { FileManager.default.fileExists(atPath: $0) }
    }
}
