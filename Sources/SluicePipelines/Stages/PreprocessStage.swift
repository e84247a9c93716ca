import Foundation
public import SluiceEngine
import SluiceFormats

/// The corpus builder as a pipeline stage: `sluice preprocess run-all` on the one dataset an
/// item fetched, run as a program through ``CommandStage`` — its own process, so that a reader
/// crash on a damaged file (libhdf5 does crash on some) or a memory blow-up fails that item only,
/// never the run. It writes `output/<item>/` (train/test chunks, report.json, vocab.json), logs
/// to `logs/<item>/`, and removes `interim/<item>/` when done.
public struct PreprocessStage: ConfigurableStage {
    public static let kind = "preprocess"
    public let header: StageHeader
    public let options: PreprocessStageOptions
    private let executable: String

    public init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        self.options = try PreprocessStageOptions(options)
        executable = CommandStage.runningSluice() ?? "sluice"
    }

    public var outputArea: Area? { .output }
    public var consumesInputs: Bool { true }
    /// With checkpoints, an interrupted attempt — a job's time limit, a lost worker, `kill -9` —
    /// resumes from the builder's last checkpoint, on any worker.
    public var resumesInterruptedAttempts: Bool { options.checkpointEvery != nil }

    public func outputFolder(item: String, isGroup: Bool) -> String? { "output/\(item)" }

    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 {
        Int64(Double(inputBytes) * options.outputRatio)
    }

    /// The interim token chunks, about the size of the outputs (the split copies them into
    /// shards), and with `spill: true` the spill of decoded counts (``spillAllowance(inputBytes:)``); a CSC or
    /// Matrix Market input's sort by cell is added once the file's stored-value count is known.
    public func scratchBytes(inputBytes: Int64, item: ItemSpec) -> Int64 {
        estimatedBytes(inputBytes: inputBytes, item: item) + (options.spill ? Self.spillAllowance(inputBytes: inputBytes) : 0)
    }

    /// The most the spill of decoded counts is given: what 3 bytes a stored value come to in a
    /// gzip h5ad of `inputBytes` (about 2.7 bytes a value), plus 1 MiB. Planned before the file
    /// is read (the budget keeps it free while the item is fetched), so never exceeded: a file
    /// that stores values more densely gets a smaller spill, or drops it.
    static func spillAllowance(inputBytes: Int64) -> Int64 { inputBytes / 8 * 9 + (1 << 20) }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        for unit in units {
            guard let input = unit.input, let partial = unit.partialOutput else { continue }
            let file = try Self.datasetFile(in: input, item: unit.item.name)
            let name = unit.item.name
            // The builder's interim files (token chunks; a CSC or Matrix Market input's sort
            // by cell; the spill of decoded counts) go to a scratch folder reserved from the budget.
            let scratch = try context.workspace.folder(.interim, item: name) + "/\(self.name).scratch"
            let inspection = await CellFileInspection.of(file, matrix: options.matrix, sluice: executable)
            let inputBytes = DiskUsage.contentBytes(at: file)
            let spill = options.spill ? inspection?.spillBytes.map { min($0, Self.spillAllowance(inputBytes: inputBytes)) } : nil
            let outputs = estimatedBytes(inputBytes: inputBytes, item: unit.item)
            // Without a vocabulary of its own, the pipeline's items share one kept in the ledger.
            var dictionary: Data?
            if let runVocabulary { dictionary = try await runVocabulary.dictionary(for: file, item: name, context: context) }
            var medians = options.medians
            if let stage = options.corpusMedians {
                guard let merged = try DigestStage.corpusMedians(stage: stage, item: unit.item, workspace: context.workspace) else {
                    throw StageError(
                        code: "preprocess.corpus-medians",
                        "\(name): no corpus medians from a digest stage named \(stage) with per: all or per: group; it must run before this stage")
                }
                medians = merged
            }
            let bytes = outputs + (inspection?.sortScratchBytes ?? 0) + (spill ?? 0) + Int64(dictionary?.count ?? 0)
            // A dataset big enough to take long gets checkpoints, in the partial output beside
            // the shards, and reserved with them.
            var checkpoints: String?
            if options.checkpointEvery != nil, let inspection, inspection.cells >= options.checkpointMinCells {
                checkpoints = partial + "/.checkpoints"
                let peak = ConvertCheckpoint.peakBytes(
                    cells: inspection.cells, genes: inspection.genes, storedValues: inspection.matrix.storedCount ?? inspection.cells * inspection.genes,
                    valueBudget: ConvertOptions().medianValueBudget)
                try await context.ensureReserved(outputs + peak)
            }
            // What an interrupted attempt left beside its dataset's folder and checkpoints (files
            // already lifted) goes; without checkpoints, the builder starts its folder afresh.
            for entry in try FileManager.default.contentsOfDirectory(atPath: partial) where entry != ".checkpoints" && entry != name {
                try context.workspace.remove(partial + "/" + entry)
            }
            do {
                try await context.withScratch(bytes, folder: scratch) {
                    let vocabulary = scratch + "/vocabulary.json"
                    if let dictionary { try AtomicCommit.write(dictionary, to: vocabulary) }
                    let command = command(
                        file: file, item: name, workspace: context.workspace, scratch: (scratch, bytes), spill: spill, checkpoints: checkpoints,
                        vocabulary: dictionary == nil ? options.vocabulary : vocabulary, medians: medians)
                    try await command.run([unit], context: context)
                }
            } catch let error as StageError where error.code == "command.exit-status" {
                throw Self.preprocessFailure(error, log: unit.logFolder + "/\(self.name).log")
            }
            // The run writes <scratch>/<name>/… and <scratch>/vocab.json; lift the dataset's files up.
            let nested = partial + "/" + name
            for entry in try FileManager.default.contentsOfDirectory(atPath: nested) {
                try FileManager.default.moveItem(atPath: nested + "/" + entry, toPath: partial + "/" + entry)
            }
            try FileManager.default.removeItem(atPath: nested)
            if let source = unit.item.metadata, !source.isEmpty { try Self.addSource(source, toManifestIn: partial) }
        }
    }

    /// Writes what the pipeline knows of the item (``ItemSpec/metadata``) into the dataset's
    /// `manifest.json`, so that the corpus says where each dataset came from.
    private static func addSource(_ source: [String: String], toManifestIn folder: String) throws {
        let path = folder + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path) else { return }
        var manifest = try JSONDecoder().decode(CorpusManifest.self, from: data)
        manifest.source = source
        try AtomicCommit.write(try manifest.json(), to: path)
    }

    /// The vocabulary the pipeline's items share in the ledger, when the stage names neither a
    /// token dictionary nor an HGNC table.
    private var runVocabulary: RunVocabulary? {
        guard options.vocabulary == nil, options.hgnc == nil else { return nil }
        let arguments = (options.matrix.map { ["--matrix", $0] } ?? []) + (options.geneIDColumn.map { ["--gene-id-column", $0] } ?? [])
        return RunVocabulary(name: name, executable: executable, arguments: arguments)
    }

    /// The command stage that runs the corpus builder on `file`, with this stage's options, its
    /// interim files in the scratch folder (which may hold the bytes reserved for it), and its
    /// spill of decoded counts limited to `spill` bytes (none when nil).
    func command(
        file: String, item: String, workspace: Workspace, scratch: (folder: String, bytes: Int64), spill: Int64?, checkpoints: String?,
        vocabulary: String?, medians: String?
    ) -> CommandStage {
        var argv = [
            executable, "preprocess", "run-all", file, "--dataset-name", item, "--output-dir", "{out}",
            "--interim-dir", scratch.folder, "--log-dir", workspace.logsFolder,
            "--chunk-size", "\(options.chunkSize)", "--test-size", "\(options.testSize)", "--seed", "\(options.seed)",
        ]
        if let value = options.topGenes { argv += ["--top-genes", "\(value)"] }
        if let value = options.shardBytes { argv += ["--shard-size", "\(value)"] }
        if let value = options.preset { argv += ["--preset", value.rawValue] }
        if let vocabulary { argv += ["--vocabulary", vocabulary] }
        if let medians { argv += ["--medians", medians] }
        if let value = options.geneIDColumn { argv += ["--gene-id-column", value] }
        // The spill is part of the scratch reservation; past it, each pass reads the input again.
        argv += spill.map { ["--spill-limit", "\($0)"] } ?? ["--no-spill"]
        if options.skipSplit { argv.append("--skip-train-test-split") }
        if let hgnc = options.hgnc { argv += ["--hgnc", hgnc] }
        if let value = options.minGenes { argv += ["--min-genes", "\(value)"] }
        if let value = options.minCounts { argv += ["--min-counts", "\(value)"] }
        if let value = options.maxPctMito { argv += ["--max-pct-mito", "\(value)"] }
        if let value = options.splitBy { argv += ["--split-by", value] }
        if let value = options.matrix { argv += ["--matrix", value] }
        if options.allowNonCounts { argv.append("--allow-non-counts") }
        if let checkpoints, let every = options.checkpointEvery { argv += ["--checkpoint-dir", checkpoints, "--checkpoint-every", "\(every)s"] }
        var command = CommandStageOptions()
        command.argv = argv
        command.outputs = ["\(item)/report.json"]
        command.area = .output
        command.scratchFolder = scratch.folder
        command.scratchBytes = scratch.bytes
        return CommandStage(header: header, command: command)
    }

    /// The builder's own sentence and code, from the `FAILED  name in step: reason [code]` line it
    /// ends its output with; the command's failure as it is when that line is missing (a crash).
    static func preprocessFailure(_ error: StageError, log: String) -> StageError {
        guard let line = CommandStage.tailLines(of: log, bytes: 16_384).last(where: { $0.hasPrefix("FAILED  ") }),
            let failed = line.range(of: "FAILED  "),
            let open = line.range(of: " [", options: .backwards), line.hasSuffix("]")
        else { return error }
        let text = line[failed.upperBound..<open.lowerBound]
        let code = line[open.upperBound..<line.index(before: line.endIndex)]
        let reason = text.range(of: " in ").map { String(text[$0.upperBound...]) } ?? String(text)
        return StageError(code: "preprocess.\(code)", reason)
    }

    /// The dataset an item fetched: its one file, or its one `.h5ad` among several.
    static func datasetFile(in folder: String, item: String) throws -> String {
        let (chosen, names) = InputFolder.single(in: folder, pattern: nil, suffixes: [".h5ad"])
        guard let chosen else {
            throw StageError(code: "preprocess.input", "\(item): expected one dataset file in \(folder), found \(names.isEmpty ? "none" : names.joined(separator: ", "))")
        }
        return chosen
    }
}
