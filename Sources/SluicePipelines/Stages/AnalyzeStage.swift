import Foundation
public import SluiceEngine
import SluiceFormats

/// `sluice analyze` as a pipeline stage: for each item, `sluice analyze <run> <its file>
/// <options> --output {out}` runs as a program through ``CommandStage`` — its own process (a
/// crash or a memory blow-up fails that item only), its log in `logs/<item>/<stage>.log`, a
/// timeout, and the analysis's main output required non-empty before anything is committed.
public struct AnalyzeStage: Stage {
    public let spec: StageSpec
    private var options: StageSpec.Analyze { spec.analyze }
    private let executable: String

    public init(spec: StageSpec) {
        self.spec = spec
        executable = spec.analyze.executable ?? CommandStage.runningSluice() ?? "sluice"
    }

    public var outputArea: Area? { .output }
    public var consumesInputs: Bool { options.deleteInputs }

    public func outputFolder(item: String, isGroup: Bool) -> String? { "output/\(item)/\(spec.name)" }

    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 {
        options.reserveBytes ?? Int64(Double(inputBytes) * options.outputRatio)
    }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        for unit in units {
            guard let input = unit.input else { continue }
            let file = try datasetFile(in: input, item: unit.item.name)
            if let bytes = singleCellOutputBound(file: file) { try await context.ensureReserved(bytes) }
            try await CommandStage(spec: commandSpec(file: file)).run([unit], context: context)
        }
    }

    /// Single-cell activity writes four float32 values (and their int32 column indices) per cell
    /// and signature, far more than a ratio of the input's size can foresee: this bound (plus
    /// 1 MiB for obs and var) is reserved before the analysis starts. Nil for other analyses,
    /// or when the file's cells or the signature's width cannot be read (the analysis then
    /// reports the problem itself).
    func singleCellOutputBound(file: String) -> Int64? {
        let arguments = options.arguments
        guard options.analysis == .activity, arguments.contains("--single-cell"),
              let cells = try? CellSourceOpener.open(file).cellCount,
              let signatures = signatureWidth(arguments) else { return nil }
        return Int64(cells) * Int64(signatures) * 32 + (1 << 20)
    }

    /// The number of columns of the `--signature` table (its header's fields, an upper bound).
    private func signatureWidth(_ arguments: [String]) -> Int? {
        func value(_ flag: String) -> String? {
            arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        }
        guard let signature = value("--signature"),
              let path = try? SignatureActivity.signatureFile(signature, directory: value("--signature-dir")),
              let header = try? LineReader(path: path).nextLine() else { return nil }
        return header.split(separator: "\t", omittingEmptySubsequences: false).count
    }

    /// The command stage that runs the analysis on `file`.
    func commandSpec(file: String) -> StageSpec {
        var command = StageSpec.Command()
        command.argv = [executable, "analyze", options.analysis.rawValue, file] + options.arguments + ["--output", "{out}"]
        command.timeout = options.timeout
        command.outputs = [options.expectedOutput]
        command.area = .output
        command.deleteInputs = options.deleteInputs
        var spec = StageSpec(kind: .command, name: self.spec.name, concurrency: self.spec.concurrency, retries: self.spec.retries)
        spec.command = command
        return spec
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
