import Foundation
public import SluiceEngine
import SluiceFormats

/// A model updated after every batch of items (docs/pipeline.md): the stage takes `every`
/// items at a time, in item order, and makes the next version of its model from the latest
/// one and the batch — the built-in incremental PCA and gene statistics (`sluice model update`,
/// in its own process, then each item's cells embedded with the new version into
/// `output/<item>/embeddings/`), or an external trainer's program — in
/// `checkpoints/<stage>/vNNNNNN/`, reserved from that area's quota.
///
/// A version is committed (flushed, renamed into place) before the batch's task completes, and
/// older ones beyond `keep_last` (and every `keep_every`-th) are deleted only after it. A crash
/// in between leaves a version that already holds the batch: the next attempt finds the
/// batch's items in its record and applies only those it lacks, so no batch is applied twice.
public struct ModelStage: ConfigurableStage {
    public static let kind = "model"
    public let header: StageHeader
    public let options: ModelStageOptions
    private let executable: String

    public init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        self.options = try ModelStageOptions(options)
        guard header.concurrency == 1 else {
            throw options.error(.badValue, "\(options.path): a model is updated one batch at a time; leave concurrency at 1")
        }
        executable = CommandStage.runningSluice() ?? "sluice"
    }

    public var scheduling: StageScheduling { .batch(count: options.every, enough: nil, maxWait: options.maxWait) }
    /// Embeddings, for the built-in model; an external trainer writes only versions.
    public var outputArea: Area? { options.command == nil ? .output : nil }
    public var consumesInputs: Bool { true }

    public func outputFolder(item: String, isGroup: Bool) -> String? {
        options.command == nil ? "output/\(item)/embeddings" : nil
    }

    /// An embedding takes 4 bytes a component and the cell's id, far less than the cell's counts.
    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 {
        options.command == nil ? inputBytes / 8 + (256 << 10) : 0
    }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        let versions = StageVersions(
            folder: try context.workspace.absolute("checkpoints/\(name)"), keepLast: options.keepLast, keepEvery: options.keepEvery)
        var latest = try await versions.start(context: context)
        let applied = Set(latest?.record.items ?? [])
        let batch = units.filter { !applied.contains($0.item.name) }
        if !batch.isEmpty {
            // The new version's room (the latest is counted already, until it is pruned): the
            // trainer's bound, or the built-in model's, or a tenth more than the latest where its
            // genes outgrew that bound.
            let previous = DiskUsage.measure(latest?.folder ?? "").bytes
            let room = options.versionBytes ?? max(builtInBound, previous + previous / 10 + (1 << 20))
            let (version, deleted) = try await versions.next(after: latest, items: batch.map(\.item.name), room: room, context: context) { partial in
                var command = CommandStageOptions()
                command.argv = try updateCommand(batch, from: latest?.folder, into: partial)
                command.timeout = options.timeout
                command.scratchFolder = partial
                command.scratchBytes = room
                try await CommandStage(header: header, command: command).run(batch, context: context)
            }
            try await context.record(
                "model-version", item: nil,
                "\(StageVersions.name(version.number)) of \(name): batch \(version.record.batches.count), \(batch.map(\.item.name).joined(separator: ", "))"
                    + (deleted.isEmpty ? "" : "; deleted \(deleted.map(StageVersions.name).joined(separator: ", "))"))
            latest = version
        }
        guard options.command == nil, let latest else { return }
        for unit in units {
            guard let input = unit.input, let partial = unit.partialOutput else { continue }
            let file = try PreprocessStage.datasetFile(in: input, item: unit.item.name)
            var command = CommandStageOptions()
            command.argv = [executable, "model", "embed", latest.folder, file, "--out", "{out}/embeddings.parquet"] + readingArguments
            command.outputs = ["embeddings.parquet"]
            try await CommandStage(header: header, command: command).run([unit], context: context)
            try JSONEncoder().encode(["version": latest.number]).write(to: URL(fileURLWithPath: partial + "/model_version.json"))
        }
    }

    /// The program that makes the next version in `partial` from the version in `from` (none
    /// for the first) and `units`' datasets.
    private func updateCommand(_ units: [StageUnit], from: String?, into partial: String) throws -> [String] {
        let files = try units.map { unit in try PreprocessStage.datasetFile(in: unit.input ?? "", item: unit.item.name) }
        guard let trainer = options.command else {
            let start =
                from.map { ["--from", $0] } ?? [
                    "--features", options.features ?? "", "--components", "\(options.components)", "--chunk-size", "\(options.chunkSize)",
                ]
            return [executable, "model", "update"] + files + start + ["--out", partial] + readingArguments
        }
        // The batch as the trainer reads it: each item with its input folder and dataset file.
        let listing = zip(units, files).map { ["item": $0.item.name, "input": $0.input ?? "", "file": $1] }
        let batch = partial + "/batch.json"
        try JSONSerialization.data(withJSONObject: listing, options: [.sortedKeys, .prettyPrinted]).write(to: URL(fileURLWithPath: batch))
        return trainer.map {
            $0.replacingOccurrences(of: "{checkpoint}", with: from ?? "").replacingOccurrences(of: "{batch}", with: batch)
                .replacingOccurrences(of: "{next_checkpoint}", with: partial)
        }
    }

    private var readingArguments: [String] {
        (options.matrix.map { ["--matrix", $0] } ?? []) + (options.geneIDColumn.map { ["--gene-id-column", $0] } ?? [])
    }

    /// The most a built-in version's `model.json` takes before its first: about 25 bytes a
    /// number, the PCA's (components + 3) × features numbers and up to 100,000 genes' statistics.
    private var builtInBound: Int64 {
        let features = options.features.flatMap { try? ModelFeatures.read($0).count } ?? 0
        return Int64((options.components + 3) * features * 25) + 100_000 * 125 + (1 << 20)
    }
}
