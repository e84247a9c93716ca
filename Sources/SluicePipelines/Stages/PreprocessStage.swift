import Foundation
public import SluiceEngine
import SluiceKernels

/// The corpus builder as a pipeline stage: runs the four `sluice preprocess` steps on the one
/// dataset an item fetched, writing `output/<item>/` (train/test chunks, report.json,
/// vocab.json) and removing `interim/<item>/` when done.
public struct PreprocessStage: Stage {
    public let spec: StageSpec

    public init(spec: StageSpec) { self.spec = spec }

    public var outputArea: Area? { .output }
    public var consumesInputs: Bool { true }

    public func outputFolder(item: String, isGroup: Bool) -> String? { "output/\(item)" }

    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 {
        Int64(Double(inputBytes) * spec.preprocess.outputRatio)
    }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        for unit in units {
            guard let input = unit.input, let partial = unit.partialOutput else { continue }
            let file = try Self.datasetFile(in: input, item: unit.item.name)
            let options = options(workspace: context.workspace, scratch: partial)
            let name = unit.item.name
            let outcome = try await Self.runOffTheCooperativePool {
                PreprocessRun(datasets: [PreprocessDataset(input: file, name: name)], options: options).run()[0]
            }
            guard outcome.succeeded else {
                let step = outcome.failedStep.map { "\($0): " } ?? ""
                throw StageError(code: "preprocess.\(outcome.errorCode ?? "failed")", "\(step)\(outcome.reason ?? "failed")")
            }
            // PreprocessRun writes <scratch>/<name>/… and <scratch>/vocab.json; lift the dataset's files up.
            let nested = partial + "/" + name
            for entry in try FileManager.default.contentsOfDirectory(atPath: nested) {
                try FileManager.default.moveItem(atPath: nested + "/" + entry, toPath: partial + "/" + entry)
            }
            try FileManager.default.removeItem(atPath: nested)
        }
    }

    private func options(workspace: Workspace, scratch: String) -> PreprocessOptions {
        var options = PreprocessOptions()
        options.interimDirectory = workspace.folder(.interim)
        options.outputDirectory = scratch
        options.logDirectory = workspace.logsFolder
        options.convert.chunkSize = spec.preprocess.chunkSize
        options.convert.topGenes = spec.preprocess.topGenes
        options.convert.filter = CellFilter(
            minGenes: spec.preprocess.minGenes, minCounts: spec.preprocess.minCounts, maxPercentMitochondrial: spec.preprocess.maxPctMito)
        options.testSize = spec.preprocess.testSize
        options.skipTrainTestSplit = spec.preprocess.skipSplit
        options.splitBy = spec.preprocess.splitBy
        options.seed = spec.preprocess.seed
        options.hgncPath = spec.preprocess.hgnc
        options.matrix = spec.preprocess.matrix
        options.convert.allowsNonCounts = spec.preprocess.allowNonCounts
        // Every write under a workspace is reserved from the budget before it is made; the spill's
        // size is known only once written, so inside `sluice run` each pass reads the input again.
        options.spillCounts = false
        return options
    }

    /// The dataset an item fetched: its one file, or its one `.h5ad` among several.
    static func datasetFile(in folder: String, item: String) throws -> String {
        let (chosen, names) = InputFolder.single(in: folder, pattern: nil, suffixes: [".h5ad"])
        guard let chosen else {
            throw StageError(code: "preprocess.input", "\(item): expected one dataset file in \(folder), found \(names.isEmpty ? "none" : names.joined(separator: ", "))")
        }
        return chosen
    }

    /// Runs blocking, multi-threaded work on its own thread, not on Swift's cooperative pool.
    static func runOffTheCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
