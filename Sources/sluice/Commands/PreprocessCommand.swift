import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluiceKernels
import SluicePipelines

/// `sluice preprocess`: build a tokenized foundation-model corpus from h5ad datasets.
struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Build a foundation-model corpus (rank-value tokens in Parquet) from h5ad datasets.",
        discussion: """
            Each dataset goes through four steps: map genes to HGNC (step1-hgnc-mapper), stream cells \
            into rank-value tokens (step2-convert-h5ad), add age and clean metadata (step3-add-age), and \
            split into train/test shards (step4-split). run-all does all four. Memory is bounded by \
            --chunk-size, not by the dataset: files larger than RAM work.
            """,
        subcommands: [RunAll.self, Step1.self, Step2.self, Step3.self, Step4.self, GeneIDs.self, Digest.self, MergeDigests.self])

    struct RunAll: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run-all", abstract: "Run all four steps on every dataset.")
        @OptionGroup var arguments: PreprocessArguments
        func run() throws { try arguments.execute(PreprocessRun.Step.allCases) }
    }

    struct Step1: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "step1-hgnc-mapper", abstract: "Map genes to HGNC and write the shared vocabulary.")
        @OptionGroup var arguments: PreprocessArguments
        func run() throws { try arguments.execute([.mapGenes]) }
    }

    struct Step2: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "step2-convert-h5ad", abstract: "Stream cells into rank-value token chunks (interim Parquet).")
        @OptionGroup var arguments: PreprocessArguments
        func run() throws { try arguments.execute([.convert]) }
    }

    struct Step3: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "step3-add-age", abstract: "Add numeric age from development_stage; drop empty metadata columns.")
        @OptionGroup var arguments: PreprocessArguments
        func run() throws { try arguments.execute([.addAge]) }
    }

    struct GeneIDs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gene-ids",
            abstract: "Print a dataset's gene ids as a --vocabulary token dictionary is looked up by (a JSON array, in var order).",
            discussion:
                "The ids come from --gene-id-column, else ensembl_id, gene_ids or feature_id, else the index, version suffixes cut. `sluice run` asks for them to give new genes their ids in the run's shared vocabulary."
        )
        @OptionGroup var arguments: PreprocessArguments
        func run() throws {
            let files = try arguments.inputs()
            guard files.count == 1 else { throw ValidationError("gene-ids reads one dataset, but INPUT holds \(files.count)") }
            let dataset = PreprocessDataset.datasets(files)[0]
            let ids = try PreprocessRun(datasets: [dataset], options: arguments.options).geneIDs(of: dataset)
            print(String(decoding: try JSONEncoder().encode(ids), as: UTF8.self))
        }
    }

    struct Digest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "digest",
            abstract: "Write one dataset's contribution to corpus-wide gene medians (a mergeable digest).",
            discussion: """
                Counts each gene's normalized non-zero values, (count × 10000) / n_counts over the cells the \
                filters keep, into logarithmic buckets whose median is within --relative-error of the exact \
                one, keyed by the ids --vocabulary is looked up by. merge-digests turns the digests of a \
                corpus into one median table for --medians; the digest is the same bytes whatever order \
                the datasets or merges come in.
                """)
        @OptionGroup var arguments: PreprocessArguments
        @Option(help: "Where the digest goes.") var digestOut: String
        @Option(help: "Relative error of every median (default 0.001).") var relativeError = MedianDigest.defaultRelativeError

        func validate() throws {
            guard relativeError >= 0.0001, relativeError < 0.5 else { throw ValidationError("--relative-error must be from 0.0001 to below 0.5") }
        }

        func run() throws {
            let files = try arguments.inputs()
            guard files.count == 1 else { throw ValidationError("digest reads one dataset, but INPUT holds \(files.count)") }
            let dataset = PreprocessDataset.datasets(files)[0]
            let digest = try PreprocessRun(datasets: [dataset], options: arguments.options).digest(of: dataset, relativeError: relativeError)
            try digest.write(to: digestOut)
            print("\(dataset.name): \(digest.genes.count) genes digested into \(digestOut)")
        }
    }

    struct MergeDigests: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge-digests", abstract: "Merge datasets' digests into corpus-wide gene medians (a --medians table).")
        @Argument(help: "Digests written by `sluice preprocess digest`.") var digests: [String]
        @Option(help: "The median table (JSON: gene → median) for --medians.") var out: String
        @Option(help: "Also write the merged digest here (to merge with more datasets later).") var digestOut: String?

        func run() throws {
            guard !digests.isEmpty else { throw ValidationError("give at least one digest") }
            if let digestOut { try GeneDigestFile.merge(paths: digests, to: digestOut) }
            let (medians, relativeError) = try GeneDigestFile.medians(of: digestOut.map { [$0] } ?? digests)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try AtomicCommit.write(try encoder.encode(medians), to: out)
            print("\(digests.count) digests: \(medians.count) genes with a median (within \(relativeError * 100) %) in \(out)")
        }
    }

    struct Step4: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "step4-split", abstract: "Write train/test Parquet shards and report.json.")
        @OptionGroup var arguments: PreprocessArguments
        func run() throws { try arguments.execute([.split]) }
    }
}

/// The options every preprocess step takes (names and defaults of the tool users migrate from).
struct PreprocessArguments: ParsableArguments {
    @Argument(help: "An h5ad file, or with --batch-mode a folder of them (default: --input-dir).")
    var input: String?

    @Flag(help: "Process every *.h5ad in INPUT (or --input-dir), each isolated from the others.")
    var batchMode = false

    @Option(help: "Folder of input files.") var inputDir = "./data/input"
    @Option(help: "Folder for intermediate files.") var interimDir = "./data/interim"
    @Option(help: "Folder for the corpus.") var outputDir = "./data/output"
    @Option(help: "Folder for per-dataset logs.") var logDir = "./logs"
    @Option(parsing: .unconditional, help: "Cells streamed per batch (memory is proportional).") var chunkSize = 10_000
    @Option(parsing: .unconditional, help: "Tokens (genes) kept per cell (default: 2000, or the --preset's).") var topGenes: Int?
    @Option(
        help: ArgumentHelp(
            "A model family's tokenizer: geneformer-30m (2,048 genes) or geneformer-95m (4,094 genes between <cls> and <eos>), both scored in Geneformer's order of operations.",
            valueName: "name"))
    var preset: String?
    @Option(help: "Parquet compression: zstd or none.") var compression = "zstd"
    @Option(help: "Size at which a shard is closed and the next begun (whole chunks of cells, each a row group), as Hugging Face datasets shards.")
    var shardSize = "500MB"
    @Option(parsing: .unconditional, help: "Fraction of cells (or --split-by groups) in the test split.") var testSize = 0.05
    @Flag(help: "Put every cell in train.") var skipTrainTestSplit = false
    @Flag(help: "Keep interim files after the split (run-all then also writes the token chunks to interim/<dataset>/chunks/, which it otherwise streams straight into the shards).") var keepInterim =
        false
    @Flag(
        help:
            "Read the input again on every pass instead of keeping its decoded counts in interim/<dataset>/counts.spill (about 2 bytes a non-zero for UMI counts; removed when the dataset is converted)."
    )
    var noSpill = false
    @Option(
        help:
            "Most bytes the spill of decoded counts may take (e.g. 2GB); when the counts need more, the spill is dropped and later passes read the input again."
    )
    var spillLimit: String?
    @Option(help: "HGNC complete set TSV (hgnc_complete_set.txt); without it (or --vocabulary), the datasets' own gene ids are used.")
    var hgnc: String?
    @Option(
        help:
            "Token dictionary (gene id → token id) as a JSON object or a gene<TAB>id TSV, e.g. Geneformer's token_dictionary converted from its pickle (see the README); genes are looked up by --gene-id-column."
    )
    var vocabulary: String?
    @Option(
        help:
            "Median table (gene → non-zero median) as JSON or TSV, e.g. Geneformer's gene_median_dictionary, used instead of each dataset's own medians; genes without a median are left out."
    )
    var medians: String?
    @Option(
        help: "var column holding the ids --vocabulary, --medians and digests name (default: ensembl_id, gene_ids or feature_id, whichever the file has, else the index); version suffixes are cut.")
    var geneIdColumn: String?
    @Option(parsing: .unconditional, help: "Keep cells with at least this many detected genes.") var minGenes: Int?
    @Option(parsing: .unconditional, help: "Keep cells with at least this many counts.") var minCounts: Double?
    @Option(parsing: .unconditional, help: "Keep cells with at most this percent of mitochondrial counts.") var maxPctMito: Double?
    @Option(help: "Split whole groups of this column (e.g. donor_id) instead of single cells.") var splitBy: String?
    @Option(parsing: .unconditional, help: "Seed of the train/test split.") var seed: UInt64 = 42
    @Option(help: "var column holding gene symbols (default: the index, and gene_symbols or CELLxGENE's feature_name when present).")
    var geneColumn: String?
    @Option(help: "h5ad matrix to rank: X, raw or layers/NAME (default: X when it holds whole numbers, else raw/X when that does).")
    var matrix: String?
    @Flag(help: "Rank values that are not whole numbers (a normalized matrix) instead of refusing them.")
    var allowNonCounts = false
    @OptionGroup var features: FeatureTypesOption
    @Option(help: "The dataset's name in the output, interim and log folders (one INPUT file only; default: from its file name).")
    var datasetName: String?
    @Option(
        help:
            "Folder where the convert step records its progress inside each pass, so that a run stopped at any moment (a job's time limit, kill -9) resumes from its last checkpoint when run again with the same options; removed once the dataset is done."
    )
    var checkpointDir: String?
    @Option(help: "Time between checkpoints inside a pass, e.g. 5m or 90s (with --checkpoint-dir).")
    var checkpointEvery = "5m"

    func validate() throws {
        guard chunkSize > 0 else { throw ValidationError("--chunk-size must be positive") }
        if let topGenes, topGenes <= 0 { throw ValidationError("--top-genes must be positive") }
        if let preset {
            guard let known = TokenPreset(rawValue: preset) else {
                throw ValidationError("--preset must be one of \(TokenPreset.allCases.map(\.rawValue).joined(separator: ", ")), not \(preset)")
            }
            if topGenes != nil { throw ValidationError("--preset \(known.rawValue) sets the tokens per cell (\(known.topGenes)); leave out --top-genes") }
        }
        if hgnc != nil, vocabulary != nil { throw ValidationError("give --hgnc or --vocabulary, not both: each makes the vocabulary") }
        guard (0...1).contains(testSize) else { throw ValidationError("--test-size must be between 0 and 1") }
        guard ["zstd", "none"].contains(compression) else { throw ValidationError("--compression must be zstd or none") }
        if let minGenes, minGenes < 0 { throw ValidationError("--min-genes must be 0 or more, not \(minGenes)") }
        if let minCounts, !(minCounts >= 0 && minCounts.isFinite) { throw ValidationError("--min-counts must be 0 or more, not \(minCounts)") }
        if let maxPctMito, !(0...100).contains(maxPctMito) { throw ValidationError("--max-pct-mito must be between 0 and 100, not \(maxPctMito)") }
        try CheckpointOption.validateInterval(checkpointEvery)
        guard (ByteSize.parse(shardSize) ?? 0) > 0 else { throw ValidationError("--shard-size must be a size such as 500MB, not \(shardSize)") }
        if let spillLimit, ByteSize.parse(spillLimit) == nil { throw ValidationError("--spill-limit must be a size such as 2GB or 500MiB, not \(spillLimit)") }
    }

    var options: PreprocessOptions {
        var options = PreprocessOptions()
        options.inputDirectory = batchMode ? (input ?? inputDir) : inputDir
        options.interimDirectory = interimDir
        options.outputDirectory = outputDir
        options.logDirectory = logDir
        options.convert.chunkSize = chunkSize
        if let topGenes { options.convert.topGenes = topGenes }
        options.preset = preset.flatMap(TokenPreset.init(rawValue:))
        options.preset?.apply(to: &options.convert)
        options.vocabularyPath = vocabulary
        options.mediansPath = medians
        options.geneIDColumn = geneIdColumn
        options.convert.compressed = compression == "zstd"
        options.convert.shardBytes = Int(ByteSize.parse(shardSize) ?? 500_000_000)
        options.convert.allowsNonCounts = allowNonCounts
        options.matrix = matrix
        options.features = features.selection
        options.convert.filter = CellFilter(minGenes: minGenes, minCounts: minCounts, maxPercentMitochondrial: maxPctMito)
        options.testSize = testSize
        options.skipTrainTestSplit = skipTrainTestSplit
        options.keepInterim = keepInterim
        options.spillCounts = !noSpill
        options.spillLimit = spillLimit.flatMap(ByteSize.parse)
        options.hgncPath = hgnc
        options.splitBy = splitBy
        options.seed = seed
        options.geneSymbolColumn = geneColumn
        options.checkpointFolder = checkpointDir
        options.checkpointInterval = CheckpointOption.interval(checkpointEvery)
        return options
    }

    func inputs() throws -> [String] {
        let target = input ?? inputDir
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) else {
            throw FormatError(.fileNotFound, path: target, "no such file or folder")
        }
        if isDirectory.boolValue {
            guard batchMode || input == nil else {
                throw ValidationError("\(target) is a folder; add --batch-mode to process every *.h5ad in it")
            }
            let files = try PreprocessDataset.inputs(inFolder: target)
            guard !files.isEmpty else { throw FormatError(.fileNotFound, path: target, "holds no *.h5ad files") }
            return files
        }
        return [target]
    }

    func execute(_ steps: [PreprocessRun.Step]) throws {
        let files = try inputs()
        let display = ProgressDisplay()
        var datasets = PreprocessDataset.datasets(files)
        if let datasetName {
            guard datasets.count == 1 else { throw ValidationError("--dataset-name names one dataset, but INPUT holds \(datasets.count)") }
            guard datasetName == DatasetName.component(datasetName, fallback: "") else {
                throw ValidationError("--dataset-name must be a plain name (letters, digits, '-', '_', '.'), not '\(datasetName)'")
            }
            datasets = [PreprocessDataset(input: datasets[0].input, name: datasetName)]
        }
        let run = PreprocessRun(datasets: datasets, options: options)
        run.echo = { level, line in display.line(line, toStandardError: level == .error) }
        run.progress = { display.update(dataset: $0, step: $1, done: $2, total: $3) }
        let outcomes = run.run(steps)
        display.clear()
        // The summary goes to standard output, each failure to standard error.
        print(Self.summary(outcomes, options))
        for failure in outcomes where !failure.succeeded {
            printError("FAILED  \(failure.dataset) in \(failure.failedStep ?? "?"): \(failure.reason ?? "unknown error") [\(failure.errorCode ?? "?")]")
        }
        if outcomes.contains(where: { !$0.succeeded }) { throw SluiceExitCode.someItemsFailed }
    }

    static func summary(_ outcomes: [PreprocessOutcome], _ options: PreprocessOptions) -> String {
        let failed = outcomes.filter { !$0.succeeded }
        var lines = ["", "Summary: \(outcomes.count) datasets, \(outcomes.count - failed.count) successful, \(failed.count) failed"]
        for outcome in outcomes where outcome.succeeded {
            var detail = ""
            if let cells = outcome.cells, let train = outcome.trainCells, let test = outcome.testCells {
                detail = ": \(cells) cells → train \(train), test \(test)"
            }
            lines.append("  ok      \(outcome.dataset)\(detail) (\(String(format: "%.1f", outcome.seconds)) s)")
        }
        lines.append("Folders: input \(options.inputDirectory), interim \(options.interimDirectory), output \(options.outputDirectory), logs \(options.logDirectory)")
        return lines.joined(separator: "\n")
    }
}
