import Foundation
public import SluiceEngine
import SluiceFormats

/// `sluice analyze` as a pipeline stage: for each item, `sluice analyze <run> <its file>
/// <options> --output {out}` runs as a program through ``CommandStage`` — its own process (a
/// crash or a memory blow-up fails that item only), its log in `logs/<item>/<stage>.log`, a
/// timeout, and the analysis's main output required non-empty before anything is committed.
/// `cross-atlas` runs once all items are done, on every item's input folder (`item=folder`).
public struct AnalyzeStage: ConfigurableStage {
    public static let kind = "analyze"
    public let header: StageHeader
    public let options: AnalyzeStageOptions
    private let executable: String

    /// Checks an analysis's arguments as `sluice analyze` would parse them; returns the reason
    /// they are wrong, or nil. The CLI provides it (it owns the analyze command's options).
    public typealias ArgumentCheck = @Sendable (_ analysis: String, _ arguments: [String]) -> String?

    public init(header: StageHeader, options: StageOptions) throws {
        try self.init(header: header, options: options, check: nil)
    }

    /// Parses the stage; with `check`, a misspelt option is one error before anything runs,
    /// not a failure of every item.
    public init(header: StageHeader, options: StageOptions, check: ArgumentCheck?) throws {
        let parsed = try AnalyzeStageOptions(options)
        var header = header
        if !header.isNameGiven { header.name = parsed.analysis.rawValue }
        if let check, let reason = check(parsed.analysis.rawValue, parsed.arguments) {
            let analysis = parsed.analysis.rawValue
            throw options.error(
                .badValue, "stage '\(header.name)': \(reason) (the options of `sluice analyze \(analysis)`; see sluice analyze \(analysis) --help)")
        }
        self.header = header
        self.options = parsed
        executable = parsed.executable ?? CommandStage.runningSluice() ?? "sluice"
    }

    public var outputArea: Area? { .output }
    /// `cross-atlas` reads every item's input at once, when all items are done; the others, one item.
    public var scheduling: StageScheduling { options.analysis.readsEveryItem ? .barrier : .perItem }
    public var consumesInputs: Bool { options.deleteInputs }
    /// With checkpoints, an interrupted attempt — a job's time limit, a lost worker, `kill -9` —
    /// resumes from the analysis's last checkpoint, on any worker.
    public var resumesInterruptedAttempts: Bool { options.checkpointEvery != nil }

    public func outputFolder(item: String, isGroup: Bool) -> String? { "output/\(item)/\(name)" }

    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 {
        options.reserveBytes ?? Int64(Double(inputBytes) * options.outputRatio)
    }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        for unit in units {
            if options.analysis.readsEveryItem {
                // Each item's input folder, named after the item: `cross-atlas a=… b=…`.
                let inputs = zip(unit.itemNames, unit.memberInputs).map { "\($0)=\($1)" }
                guard inputs.count >= 2 else {
                    throw StageError(code: "analyze.items", "\(options.analysis.rawValue) needs at least two items' outputs, and \(inputs.count) reached it")
                }
                try await command(inputs: inputs).run([unit], context: context)
                continue
            }
            guard let input = unit.input else { continue }
            guard options.analysis.takesInputArgument else {
                try await command(inputs: []).run([unit], context: context)
                continue
            }
            let file = try datasetFile(in: input, item: unit.item.name)
            let inspection =
                options.analysis.readsCells
                ? await CellFileInspection.of(file, matrix: Self.value(of: "--matrix", in: options.arguments), sluice: executable) : nil
            if let bytes = singleCellOutputBound(cells: inspection?.cells) { try await context.ensureReserved(bytes) }
            // A long pass keeps checkpoints in the partial output beside the outputs, reserved
            // with them; what an interrupted attempt left there besides them goes.
            var checkpoints: Checkpoints?
            if let every = options.checkpointEvery, let inspection, inspection.cells >= options.checkpointMinCells, let partial = unit.partialOutput {
                // What the outputs were given (single-cell activity's bound, reserved above), and room beside it.
                let outputs =
                    singleCellOutputBound(cells: inspection.cells) ?? estimatedBytes(inputBytes: DiskUsage.contentBytes(at: file), item: unit.item)
                let spill = options.analysis == .activity ? signatureWidth(options.arguments).map { Int64(inspection.cells) * Int64($0) * 16 + (1 << 20) } : nil
                checkpoints = Checkpoints(folder: partial + "/.checkpoints", every: every, space: options.checkpointSpace ?? spill ?? outputs)
                try await context.ensureReserved(outputs + (checkpoints?.space ?? 0))
            }
            if let partial = unit.partialOutput, FileManager.default.fileExists(atPath: partial) {
                for entry in try FileManager.default.contentsOfDirectory(atPath: partial) where entry != ".checkpoints" || checkpoints == nil {
                    try context.workspace.remove(partial + "/" + entry)
                }
            }
            // A CSC or Matrix Market input is sorted by cell into a scratch folder reserved from
            // the budget (unless the pipeline names its own `scratch`, outside the workspace).
            let sorting = options.arguments.contains("--scratch") ? 0 : inspection?.sortScratchBytes ?? 0
            guard sorting > 0 else {
                try await command(file: file, checkpoints: checkpoints).run([unit], context: context)
                continue
            }
            let scratch = try context.workspace.folder(.interim, item: unit.item.name) + "/\(name).scratch"
            try await context.withScratch(sorting, folder: scratch) {
                try await command(file: file, scratch: (scratch, sorting), checkpoints: checkpoints).run([unit], context: context)
            }
        }
    }

    /// Where an analysis keeps its checkpoints, how often, and the bytes they may take.
    struct Checkpoints {
        var folder: String
        var every: Double
        var space: Int64

        var arguments: [String] { ["--checkpoint-dir", folder, "--checkpoint-every", "\(every)s", "--checkpoint-limit", "\(space)"] }
    }

    /// Single-cell activity writes four float32 values (and their int32 column indices) per cell
    /// and signature, far more than a ratio of the input's size can foresee: this bound (plus
    /// 1 MiB for obs and var) is reserved before the analysis starts. Nil for other analyses,
    /// or when the file's cells or the signature's width cannot be read (the analysis then
    /// reports the problem itself).
    func singleCellOutputBound(cells: Int?) -> Int64? {
        let arguments = options.arguments
        guard options.analysis == .activity, arguments.contains("--single-cell"), let cells,
            let signatures = signatureWidth(arguments)
        else { return nil }
        return Int64(cells) * Int64(signatures) * 32 + (1 << 20)
    }

    /// The number of columns of the `--signature` table (its header's fields, an upper bound).
    private func signatureWidth(_ arguments: [String]) -> Int? {
        guard let signature = Self.value(of: "--signature", in: arguments),
            let path = try? SignatureActivity.signatureFile(signature, directory: Self.value(of: "--signature-dir", in: arguments)),
            let header = try? LineReader(path: path).nextLine()
        else { return nil }
        return header.split(separator: "\t", omittingEmptySubsequences: false).count
    }

    /// The value after `flag` in `arguments`, if any.
    static func value(of flag: String, in arguments: [String]) -> String? {
        arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
    }

    /// The command stage that runs the analysis on `file`, with its scratch folder (and the bytes
    /// reserved for it) and its checkpoints when it has them.
    func command(file: String, scratch: (folder: String, bytes: Int64)? = nil, checkpoints: Checkpoints? = nil) -> CommandStage {
        command(inputs: [file], scratch: scratch, checkpoints: checkpoints)
    }

    /// The command stage that runs the analysis on `inputs`.
    func command(inputs: [String], scratch: (folder: String, bytes: Int64)? = nil, checkpoints: Checkpoints? = nil) -> CommandStage {
        var command = CommandStageOptions()
        command.argv =
            [executable, "analyze", options.analysis.rawValue] + inputs + options.arguments
            + (scratch.map { ["--scratch", $0.folder] } ?? []) + (checkpoints?.arguments ?? []) + ["--output", "{out}"]
        command.scratchFolder = scratch?.folder
        command.scratchBytes = scratch?.bytes ?? 0
        command.timeout = options.timeout
        command.outputs = [options.expectedOutput]
        command.area = .output
        command.deleteInputs = options.deleteInputs
        return CommandStage(header: header, command: command)
    }

    /// The file to analyse: the one matching `input:`, or the folder's one file, or its one cells
    /// file (`.h5ad`, `.h5`, `.loom`); a 10x Matrix Market folder is taken as a whole.
    func datasetFile(in folder: String, item: String) throws -> String {
        let (chosen, names) = InputFolder.single(in: folder, pattern: options.input, suffixes: [".h5ad", ".h5", ".loom"])
        if names.contains(where: { $0 == "matrix.mtx" || $0 == "matrix.mtx.gz" }) { return folder }
        guard let chosen else {
            let wanted = options.input.map { "one file matching '\($0)'" } ?? "one file (or one .h5ad/.h5/.loom)"
            throw StageError(code: "analyze.input", "\(item): expected \(wanted) in \(folder), found \(names.isEmpty ? "none" : names.joined(separator: ", ")); name it with the stage's 'input' key")
        }
        return chosen
    }
}
