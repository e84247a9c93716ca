import ArgumentParser
import Foundation
import SluicePipelines

/// `sluice analyze …`: the analysis kernels on files.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyses on expression files: signature activity (CytoSig/SecAct ridge regression).",
        subcommands: [ActivityCommand.self, CorrelateCommand.self, PseudobulkCommand.self, DifferentialCommand.self])
}

/// `sluice analyze activity`: SecAct / CytoSig signature activity, as SecActpy computes it.
struct ActivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity",
        abstract: "Infer signaling activity (ridge regression + permutation test), matching SecActpy.",
        discussion: """
            EXPR is a tab-separated expression table (plain or .gz), genes in the first column, one \
            column per sample. Unless --differential, each gene's mean across samples (or across \
            --control columns) is subtracted first. Genes shared with the signature are kept in EXPR's \
            order, both sides z-scored per column, and β = (XᵀX + λI)⁻¹XᵀY is tested against \
            --n-rand permutations of the genes (glibc srand/rand by default, as SecActpy; --rng \
            mt19937 as current R SecAct); --n-rand 0 gives the analytic t-test. Writes \
            beta/se/zscore/pvalue.tsv (signatures × samples) into --output.

            --signature cytosig or secact reads CytoSig.tsv.gz / SecAct.tsv.gz from --signature-dir \
            (or $SLUICE_SIGNATURE_DIR): the files the secactpy package ships in secactpy/data/.
            """)

    @Argument(help: "Expression table (genes × samples, TSV or TSV.gz).") var expression: String
    @Option(help: "cytosig, secact, or a signature table (genes × signatures).") var signature: String
    @Option(help: "Folder holding CytoSig.tsv.gz and SecAct.tsv.gz.") var signatureDir: String?
    @Option(help: "Folder for the result tables (created).") var output: String
    @Flag(help: "The profile is already a difference or logFC: use it as given.") var differential = false
    @Option(help: "Comma-separated control columns whose mean is subtracted.") var control: String?
    @Option(help: "Ridge penalty (default 5e5 for secact and files, 1e4 for cytosig).") var lambda: Double?
    @Option(help: "Permutations (0: t-test).") var nRand = 1_000
    @Option(help: "Random seed.") var seed: UInt32 = 0
    @Option(help: "srand (glibc, SecActpy's default) or mt19937.") var rng = "srand"
    @Option(help: "Samples per batch.") var batchSize = 1_000
    @Option(help: "Merge signatures correlated at ≥ 0.9 (yes/no; default yes except for cytosig, as SecActpy).")
    var groupSignatures: String?

    func run() throws {
        guard let source = ActivityOptions.RandomSource(rawValue: rng) else {
            throw ValidationError("--rng must be srand or mt19937")
        }
        var options = ActivityOptions()
        options.permutations = nRand
        options.seed = seed
        options.random = source
        options.differential = differential
        options.controlColumns = control.map { $0.split(separator: ",").map(String.init) } ?? []
        options.batchSize = batchSize
        switch groupSignatures?.lowercased() {
        case nil: options.groupSignatures = signature.lowercased() != "cytosig"
        case "yes", "true": options.groupSignatures = true
        case "no", "false": options.groupSignatures = false
        default: throw ValidationError("--group-signatures must be yes or no")
        }
        options.lambda = lambda ?? (signature.lowercased() == "cytosig" ? 1e4 : 5e5)
        do {
            let clock = ContinuousClock.now
            let profile = try MatrixTable.read(expression)
            let signatureTable = try MatrixTable.read(try signaturePath())
            let tables = try SignatureActivity.run(expression: profile, signature: signatureTable, options: options)
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            for (name, table) in [("beta", tables.beta), ("se", tables.se), ("zscore", tables.zscore), ("pvalue", tables.pvalue)] {
                try MatrixTable.write(table, label: "signature", to: output + "/\(name).tsv")
            }
            let seconds = (ContinuousClock.now - clock) / .seconds(1)
            print("\(tables.beta.rows.count) signatures × \(tables.beta.columns.count) samples from \(tables.genes.count) shared genes, \(nRand) permutations, in \(String(format: "%.2f", seconds)) s → \(output)/{beta,se,zscore,pvalue}.tsv")
        } catch let error as AnalysisError {
            printError("error: \(error.message) [\(error.code)]")
            throw SluiceExitCode.couldNotRun
        }
    }

    private func signaturePath() throws -> String {
        let builtin = ["cytosig": "CytoSig.tsv.gz", "secact": "SecAct.tsv.gz"]
        guard let file = builtin[signature.lowercased()] else { return signature }
        guard let folder = signatureDir ?? ProcessInfo.processInfo.environment["SLUICE_SIGNATURE_DIR"] else {
            throw AnalysisError(code: "activity.signature-dir",
                                "--signature \(signature) needs --signature-dir (or SLUICE_SIGNATURE_DIR): the folder with \(file), e.g. site-packages/secactpy/data of a pip install secactpy")
        }
        return folder + "/" + file
    }
}
