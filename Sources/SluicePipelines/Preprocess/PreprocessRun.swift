import Foundation
public import SluiceEngine
import SluiceFormats

/// Runs `sluice preprocess` over a set of datasets: the four steps, one dataset after another,
/// each isolated — a failure is logged, its partial files are removed, and the rest go on.
///
/// Layout (DESIGN.md): `interim/<dataset>/` (genes.json, chunks/, clean/, removed after the
/// split unless `keepInterim`), `output/vocab.json`, `output/<dataset>/{train,test}/chunks/`,
/// `output/<dataset>/report.json`, `logs/<dataset>/pipeline.{log,jsonl}`.
public final class PreprocessRun {
    /// The four steps, by the names of their subcommands.
    public enum Step: String, CaseIterable, Sendable {
        case mapGenes = "step1-hgnc-mapper"
        case convert = "step2-convert-h5ad"
        case addAge = "step3-add-age"
        case split = "step4-split"

        var shortName: String {
            switch self {
            case .mapGenes: "hgnc-mapper"
            case .convert: "convert"
            case .addAge: "add-age"
            case .split: "split"
            }
        }
    }

    public let datasets: [PreprocessDataset]
    public let options: PreprocessOptions
    /// Called with (dataset, step, cells done, cells in the file) while a step streams cells.
    public var progress: (String, String, Int, Int) -> Void = { _, _, _, _ in }
    /// Receives every log line as it is written.
    public var echo: @Sendable (DatasetLog.Level, String) -> Void = { _, _ in }

    private var outcomes: [String: PreprocessOutcome] = [:]
    private var hgncTable: HGNCTable?
    /// The median table (``PreprocessOptions/mediansPath``), read once a run, and its SHA-256.
    private var medianTable: (table: GeneValueTable, checksum: String)?
    private var timings: [String: [String: Double]] = [:]
    /// Step 1's plan and vocabulary for each dataset mapped in this run, so later steps need not
    /// read them back.
    private var mapped: [String: (plan: GenePlan, vocabulary: Vocabulary)] = [:]
    /// The matrix chosen for each dataset in this run: the choice reads the file's first cells,
    /// and the vocabulary, the mapping and the conversion all open the same matrix.
    private var matrixChoices: [String: CountMatrixChoice] = [:]
    /// The vocabulary last encoded, with its canonical JSON and that JSON's SHA-256: a run
    /// encodes its vocabulary (20,000+ genes) once, not once per file and checksum.
    private var encodedVocabulary: (vocabulary: Vocabulary, json: Data, checksum: String)?

    public init(datasets: [PreprocessDataset], options: PreprocessOptions) {
        self.datasets = datasets
        self.options = options
    }

    /// Runs `steps` (all four by default) and returns one outcome per dataset, in input order.
    public func run(_ steps: [Step] = Step.allCases) -> [PreprocessOutcome] {
        var vocabulary: Vocabulary?
        if steps.contains(.mapGenes) {
            vocabulary = buildVocabulary()
        }
        for dataset in datasets where outcomes[dataset.name] == nil {
            let clock = ContinuousClock.now
            do {
                let log = DatasetLog(dataset: dataset.name, folder: dataset.logs(options), echo: echo)
                // Steps 2–4 together (run-all): token chunks go straight into the shards. Steps 3
                // and 4 together: cleaning feeds the split chunk by chunk. No copies in between.
                let fuseAll = steps.contains(.convert) && steps.contains(.addAge) && steps.contains(.split)
                let fuseLast = steps.contains(.addAge) && steps.contains(.split)
                for step in steps {
                    if step == .split, fuseLast { continue }
                    if step == .addAge, fuseAll { continue }
                    try timed(dataset, step) {
                        if step == .convert, fuseAll {
                            try convertCleanAndSplit(dataset, log: log)
                        } else if step == .addAge, fuseLast {
                            try cleanAndSplit(dataset, log: log)
                        } else {
                            try run(step, dataset, log: log, vocabulary: vocabulary)
                        }
                    }
                }
                var outcome = outcomes[dataset.name] ?? PreprocessOutcome(dataset: dataset.name, input: dataset.input, succeeded: true, seconds: 0)
                outcome.seconds = (ContinuousClock.now - clock) / .seconds(1)
                outcomes[dataset.name] = outcome
            } catch {
                fail(dataset, error, since: clock)
            }
        }
        if steps.contains(.split) {
            do { try writeCorpusManifest(vocabulary) } catch { echo(.error, "\(options.outputDirectory)/manifest.json could not be written: \(error)") }
        }
        return datasets.map { outcomes[$0.name]! }
    }

    // MARK: Steps

    private var currentStep: Step = .mapGenes

    private func timed(_ dataset: PreprocessDataset, _ step: Step, _ body: () throws -> Void) throws {
        currentStep = step
        let clock = ContinuousClock.now
        try body()
        timings[dataset.name, default: [:]][step.shortName] = (ContinuousClock.now - clock) / .seconds(1)
    }

    private func run(_ step: Step, _ dataset: PreprocessDataset, log: DatasetLog, vocabulary: Vocabulary?) throws {
        switch step {
        case .mapGenes: try mapGenes(dataset, log: log, vocabulary: vocabulary)
        case .convert: try convert(dataset, log: log)
        case .addAge: try addAge(dataset, log: log)
        case .split: try split(dataset, log: log)
        }
    }

    /// Step 1 for every dataset at once: the shared vocabulary.
    private func buildVocabulary() -> Vocabulary? {
        let vocabulary: Vocabulary
        do {
            if let hgnc = options.hgncPath {
                let table = try HGNCTable(path: hgnc)
                hgncTable = table
                vocabulary = Vocabulary(hgnc: table)
            } else if let path = options.vocabularyPath {
                vocabulary = try Vocabulary(tokenDictionary: GeneValueTable(path: path, what: "token dictionary"))
            } else {
                var ids: [String] = []
                for dataset in datasets {
                    do {
                        ids += try openCells(dataset).source.genes.index
                    } catch {
                        fail(dataset, error, since: .now, step: .mapGenes)
                    }
                }
                vocabulary = Vocabulary(datasetGeneIDs: ids)
            }
            try FileManager.default.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
            try Self.writeAtomically(try encoded(vocabulary).json, to: join(options.outputDirectory, "vocab.json"))
        } catch {
            for dataset in datasets where outcomes[dataset.name] == nil { fail(dataset, error, since: .now, step: .mapGenes) }
            return nil
        }
        return vocabulary
    }

    private func mapGenes(_ dataset: PreprocessDataset, log: DatasetLog, vocabulary: Vocabulary?) throws {
        guard let vocabulary else { throw PreprocessError(code: "no-vocabulary", message: "the vocabulary could not be built") }
        let source = try openCells(dataset).source
        var plan: GenePlan
        if let hgnc = options.hgncPath {
            // Parsed once for the whole run by buildVocabulary (the full HGNC set is ~45,000 rows).
            let table = try hgncTable ?? HGNCTable(path: hgnc)
            plan = GenePlan(genes: source.genes, mapper: GeneMapper(table: table), symbolColumn: options.geneSymbolColumn)
            let summary = plan.mapping!
            log.log(
                step: "hgnc-mapper",
                "\(summary.mapped) of \(source.geneCount) genes mapped to HGNC (\(summary.unmapped) unmapped, \(summary.ambiguous) ambiguous)",
                ["mapped": summary.mapped, "unmapped": summary.unmapped, "ambiguous": summary.ambiguous])
        } else if options.vocabularyPath != nil {
            let ids = try GenePlan.geneIDs(of: source.genes, column: options.geneIDColumn)
            plan = GenePlan(genes: source.genes, vocabulary: vocabulary, symbolColumn: options.geneSymbolColumn, ids: ids)
            let found = plan.tokenOfGene.count { $0 != nil }
            log.log(step: "hgnc-mapper", "\(found) of \(source.geneCount) genes are in the token dictionary", ["in_dictionary": found])
        } else {
            plan = GenePlan(genes: source.genes, vocabulary: vocabulary, symbolColumn: options.geneSymbolColumn)
            log.log(.warning, step: "hgnc-mapper", "no --hgnc table given: tokens use the dataset's own gene ids, which other datasets may name differently")
        }
        if options.mediansPath != nil {
            let medians = try mediansByToken(vocabulary)
            let without = plan.tokenOfGene.count { $0.map { medians[$0] == nil } ?? false }
            plan.tokenOfGene = plan.tokenOfGene.map { $0.flatMap { medians[$0] == nil ? nil : $0 } }
            if without > 0 {
                log.log(.warning, step: "hgnc-mapper", "\(without) genes have a token but no median in the median table: left out", ["without_median": without])
            }
        }
        if let duplicates = plan.duplicateGeneIDs, duplicates > 0 {
            log.log(
                .warning, step: "hgnc-mapper", "\(duplicates) genes repeat a gene id seen before them; their counts are summed into one token",
                ["duplicate_gene_ids": duplicates])
        }
        guard plan.tokenOfGene.contains(where: { $0 != nil }) else {
            throw PreprocessError(code: "no-genes-mapped", message: "none of the \(source.geneCount) genes maps to the vocabulary — is the gene column right?")
        }
        try FileManager.default.createDirectory(atPath: dataset.interim(options), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Self.writeAtomically(try encoder.encode(plan), to: dataset.genePlan(options))
        try Self.writeAtomically(try encoded(vocabulary).json, to: join(dataset.interim(options), "vocab.json"))
        mapped[dataset.name] = (plan, vocabulary)
    }

    private func convert(_ dataset: PreprocessDataset, log: DatasetLog) throws {
        let (converter, vocabulary) = try converter(dataset, log: log)
        let result = try converter.run(into: dataset.tokenChunks(options), metadata: try metadata(dataset, vocabulary))
        try finishConvert(result, dataset, log: log)
        checkpoint(dataset)?.remove()
    }

    /// Where the converter of `dataset` keeps its checkpoints, with what must match to resume
    /// one: the input file (name, size, modification time) and every option that changes the
    /// corpus. Nil without ``PreprocessOptions/checkpointFolder``.
    private func checkpoint(_ dataset: PreprocessDataset) -> ConvertCheckpoint? {
        guard let folder = options.checkpointFolder else { return nil }
        let settings = PreprocessReport.Options(options)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let described = (try? encoder.encode(settings)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let fingerprint = AnalysisCheckpoint.fingerprint(
            input: dataset.input,
            settings: [
                described, options.matrix ?? "", options.geneSymbolColumn ?? "", "\(options.convert.compressed)", "\(options.convert.allowsNonCounts)",
                "\(options.skipTrainTestSplit)", "\(String(describing: options.features))",
            ])
        return ConvertCheckpoint(folder: folder, name: dataset.name, interval: options.checkpointInterval, fingerprint: fingerprint)
    }

    /// The converter of step 2 for `dataset`, and the vocabulary of step 1.
    private func converter(_ dataset: PreprocessDataset, log: DatasetLog) throws -> (DatasetConverter, Vocabulary) {
        let plan = try plan(dataset)
        let vocabulary = try vocabulary(dataset)
        let (source, choice) = try openCells(dataset, scratchDirectory: dataset.interim(options))
        log.log(step: "convert", "ranking \(choice.reason)", ["matrix": choice.matrix ?? ""])
        if let filtered = source as? FeatureFilteredSource {
            let counts = filtered.excluded.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            log.log(step: "convert", "left out \(counts) features by their type (--feature-types chooses)", ["excluded_features": filtered.excluded])
        }
        log.log(step: "convert", "streaming \(source.cellCount) cells × \(source.geneCount) genes in chunks of \(options.convert.chunkSize)")
        var convertOptions = options.convert
        convertOptions.wrap = try options.preset?.wrap(from: vocabulary)
        var converter = DatasetConverter(source: source, plan: plan, options: convertOptions)
        converter.matrixReason = choice.reason
        if options.mediansPath != nil { converter.fixedMedians = try mediansByToken(vocabulary) }
        if options.spillCounts, let folder = spillFolder(for: source, dataset, log: log) {
            converter.spillFolder = folder
            if let limit = options.spillLimit { converter.spillLimit = limit }
            let limit = options.spillLimit.map { " (at most \(ByteSize.format($0)))" } ?? ""
            log.log(step: "convert", "keeping the decoded counts for later passes in \(folder)/counts.spill\(limit)")
        }
        converter.progress = { [progress, name = dataset.name] phase, done, total in progress(name, phase, done, total) }
        converter.checkpoint = checkpoint(dataset)
        converter.resumed = { [cells = source.cellCount] position in
            let pass = position.tokens ? "the token pass" : "pass \(position.pass + 1)"
            log.log(
                step: "convert", "resuming from its checkpoint: \(pass), after \(position.cells) of \(cells) cells",
                ["resumed_pass": position.pass, "resumed_tokens": position.tokens, "resumed_cells": position.cells])
        }
        return (converter, vocabulary)
    }

    /// The ids of `dataset`'s genes that a token dictionary is looked up by
    /// (``GenePlan/geneIDs(of:column:)``), in the order of the genes the builder reads.
    public func geneIDs(of dataset: PreprocessDataset) throws -> [String] {
        try GenePlan.geneIDs(of: try openCells(dataset).source.genes, column: options.geneIDColumn)
    }

    /// `dataset`'s contribution to corpus-wide medians (``DatasetDigester``): its genes by the
    /// ids a token dictionary is looked up by, its cells as the filter keeps them.
    public func digest(of dataset: PreprocessDataset, relativeError: Double) throws -> GeneDigestFile {
        let source = try openCells(dataset).source
        var digester = DatasetDigester(
            source: source, ids: try GenePlan.geneIDs(of: source.genes, column: options.geneIDColumn),
            mitochondrial: GenePlan.mitochondrial(source.genes, symbolColumn: options.geneSymbolColumn), options: options.convert)
        digester.relativeError = relativeError
        digester.progress = { [progress, name = dataset.name] done, total in progress(name, "digest", done, total) }
        return try digester.run()
    }

    /// The dataset's cells, from the matrix ``CountMatrixChoice`` picks (the same at every step).
    private func openCells(_ dataset: PreprocessDataset, scratchDirectory: String? = nil) throws -> (source: any CellSource, choice: CountMatrixChoice) {
        let choice = try matrixChoices[dataset.name] ?? CountMatrixChoice.choose(dataset.input, requested: options.matrix)
        matrixChoices[dataset.name] = choice
        let source = try CellSourceOpener.open(dataset.input, matrix: choice.matrix, scratchDirectory: scratchDirectory, features: options.features)
        return (source, choice)
    }

    /// The dataset's interim folder, when its filesystem has room for the spill of decoded counts:
    /// twice 6 bytes a stored value (a column gap and a count as varints take 2–3 for UMI counts;
    /// other values 5–8).
    private func spillFolder(for source: any CellSource, _ dataset: PreprocessDataset, log: DatasetLog) -> String? {
        let folder = dataset.interim(options)
        guard let stored = source.matrixInfo.storedCount else { return folder }
        let needed = Int64(stored) * 6
        let free = (try? FileManager.default.attributesOfFileSystem(forPath: folder)[.systemFreeSize] as? NSNumber)?.int64Value
        guard let free, free < 2 * needed else { return folder }
        log.log(
            .warning, step: "convert",
            "only \(free >> 20) MiB free for interim files: reading the input on every pass instead of keeping its decoded counts (up to \(needed >> 20) MiB)")
        return nil
    }

    private func finishConvert(_ result: DatasetConverter.Result, _ dataset: PreprocessDataset, log: DatasetLog) throws {
        log.log(
            step: "convert",
            "kept \(result.keptCells) of \(result.cells) cells (\(result.droppedCells) filtered), mean \(String(format: "%.1f", result.meanLength)) tokens, \(result.passes) passes (\((result.passSeconds ?? []).map { String(format: "%.1f s", $0) }.joined(separator: ", ")))",
            ["kept": result.keptCells, "dropped": result.droppedCells, "passes": result.passes, "pass_seconds": result.passSeconds ?? []])
        if let cells = result.spillDroppedAfter {
            log.log(
                step: "convert",
                "the decoded counts of \(cells) cells filled the spill's limit of \(ByteSize.format(options.spillLimit ?? 0)): later passes read the input again",
                ["spill_dropped_after_cells": cells])
        }
        if let fractional = result.nonIntegerValues, fractional > 0 {
            log.log(
                .warning, step: "convert", "ranked \(fractional) values that are not whole numbers (--allow-non-counts): tokens rank these values, not counts",
                ["non_integer_values": fractional])
        }
        try record(result, dataset, .convert)
    }

    /// Steps 2, 3 and 4 in one go: each token chunk is cleaned and split into the shards as the
    /// converter makes it (written to `interim/` as well only with `--keep-interim`). The shards
    /// are byte-identical to those of the steps run one by one.
    private func convertCleanAndSplit(_ dataset: PreprocessDataset, log: DatasetLog) throws {
        let started = ContinuousClock.now
        let (converter, vocabulary) = try converter(dataset, log: log)
        let metadata = try metadata(dataset, vocabulary)
        let output = dataset.output(options)
        let folder = options.keepInterim ? dataset.tokenChunks(options) : nil
        let splitter = splitter(dataset)
        let chunkSchema = converter.chunkSchema
        var progress = CorpusSplitter.Progress()
        var cleaned = MetadataCleaner.Result(droppedColumns: [], ageColumn: false, cellsWithAge: 0, files: [])
        let converted = try converter.run(into: folder, metadata: metadata) { filledColumns, resumed in
            if let resumed {
                // The shards up to the checkpoint stay, and the open ones go on from where they
                // stood then; a shard begun after it is written again.
                (progress, cleaned) = try JSONDecoder().decode(SplitState.self, from: resumed).values
                Self.removePartialFiles(in: output, keeping: progress.openPartialFiles)
            } else {
                try? FileManager.default.removeItem(atPath: output)
            }
            let plan = MetadataCleaner.plan(schema: chunkSchema, filledColumns: filledColumns)
            if resumed != nil { try splitter.resume(&progress, schema: plan.schema, metadata: metadata) }
            return DatasetConverter.ChunkSink(
                take: { chunk, _ in
                    cleaned.droppedColumns = plan.droppedColumns
                    cleaned.ageColumn = plan.addsAge
                    let (table, aged) = try plan.apply(plan.keptColumns(of: chunk), path: dataset.input)
                    cleaned.cellsWithAge += aged
                    try splitter.split(table, schema: plan.schema, from: dataset.input, into: output, metadata: metadata, &progress)
                },
                state: {
                    try splitter.checkpoint(&progress)
                    return try JSONEncoder().encode(SplitState(progress: progress, cleaned: cleaned))
                })
        }
        try splitter.finish(&progress)
        try finishConvert(converted, dataset, log: log)
        logCleaning(cleaned, log)
        let result = progress.finished(grouped: options.splitBy != nil && !options.skipTrainTestSplit)
        try finish(
            dataset, converted: converted, cleaned: cleaned, split: result, vocabulary: vocabulary, log: log,
            timing: ("convert+add-age+split", started))
        checkpoint(dataset)?.remove()
    }

    /// What the split had written at a checkpoint of the fused steps.
    private struct SplitState: Codable {
        var progress: CorpusSplitter.Progress
        var cleaned: MetadataCleaner.Result
        var values: (CorpusSplitter.Progress, MetadataCleaner.Result) { (progress, cleaned) }
    }

    /// Removes the files a killed writer left half-written (`*.partial`) under `folder`, but
    /// those in `keeping` (open shards a checkpoint recorded).
    private static func removePartialFiles(in folder: String, keeping: Set<String>) {
        let names = FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []
        for name in names where name.hasSuffix(".partial") && !keeping.contains(folder + "/" + name) {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
    }

    private func addAge(_ dataset: PreprocessDataset, log: DatasetLog) throws {
        let converted = try Self.read(DatasetConverter.Result.self, dataset.stepRecord(options, Step.convert.shortName), step: .convert)
        let vocabulary = try vocabulary(dataset)
        let folder = dataset.cleanChunks(options)
        try? FileManager.default.removeItem(atPath: folder)
        let result = try MetadataCleaner(options: options.convert).run(
            chunks: converted.chunkFiles, into: folder, metadata: try metadata(dataset, vocabulary))
        logCleaning(result, log)
        try record(result, dataset, .addAge)
    }

    private func split(_ dataset: PreprocessDataset, log: DatasetLog) throws {
        let cleaned = try Self.read(MetadataCleaner.Result.self, dataset.stepRecord(options, Step.addAge.shortName), step: .addAge)
        let converted = try Self.read(DatasetConverter.Result.self, dataset.stepRecord(options, Step.convert.shortName), step: .convert)
        let vocabulary = try vocabulary(dataset)
        let started = ContinuousClock.now
        let output = dataset.output(options)
        try? FileManager.default.removeItem(atPath: output)
        let result = try splitter(dataset).run(chunks: cleaned.files, into: output, metadata: try metadata(dataset, vocabulary))
        try finish(
            dataset, converted: converted, cleaned: cleaned, split: result, vocabulary: vocabulary, log: log,
            timing: (Step.split.shortName, started))
    }

    /// Steps 3 and 4 in one pass over the token chunks.
    private func cleanAndSplit(_ dataset: PreprocessDataset, log: DatasetLog) throws {
        let started = ContinuousClock.now
        let converted = try Self.read(DatasetConverter.Result.self, dataset.stepRecord(options, Step.convert.shortName), step: .convert)
        let vocabulary = try vocabulary(dataset)
        let metadata = try metadata(dataset, vocabulary)
        let output = dataset.output(options)
        try? FileManager.default.removeItem(atPath: output)
        let splitter = splitter(dataset)
        var progress = CorpusSplitter.Progress()
        var cleaned = MetadataCleaner.Result(droppedColumns: [], ageColumn: false, cellsWithAge: 0, files: [])
        if let plan = try MetadataCleaner(options: options.convert).plan(chunks: converted.chunkFiles) {
            cleaned.droppedColumns = plan.droppedColumns
            cleaned.ageColumn = plan.addsAge
            for chunk in converted.chunkFiles {
                let (table, aged) = try plan.apply(try plan.read(chunk), path: chunk)
                cleaned.cellsWithAge += aged
                try splitter.split(table, schema: plan.schema, from: chunk, into: output, metadata: metadata, &progress)
            }
        }
        try splitter.finish(&progress)
        logCleaning(cleaned, log)
        let result = progress.finished(grouped: options.splitBy != nil && !options.skipTrainTestSplit)
        try finish(
            dataset, converted: converted, cleaned: cleaned, split: result, vocabulary: vocabulary, log: log,
            timing: ("add-age+split", started))
    }

    private func splitter(_ dataset: PreprocessDataset) -> CorpusSplitter {
        CorpusSplitter(
            assigner: SplitAssigner(dataset: dataset.name, seed: options.seed, testSize: options.testSize),
            splitBy: options.splitBy, skip: options.skipTrainTestSplit, options: options.convert)
    }

    private func logCleaning(_ result: MetadataCleaner.Result, _ log: DatasetLog) {
        let dropped = result.droppedColumns.isEmpty ? "no empty columns" : "dropped empty columns \(result.droppedColumns.joined(separator: ", "))"
        let age = result.ageColumn ? "age for \(result.cellsWithAge) cells" : "no development_stage column, no age"
        log.log(step: "add-age", "\(age); \(dropped)", ["dropped_columns": result.droppedColumns, "cells_with_age": result.cellsWithAge])
    }

    /// Writes report.json, removes the interim folder, and records the outcome.
    private func finish(
        _ dataset: PreprocessDataset, converted: DatasetConverter.Result, cleaned: MetadataCleaner.Result, split result: CorpusSplitter.Result, vocabulary: Vocabulary,
        log: DatasetLog, timing: (step: String, started: ContinuousClock.Instant)
    ) throws {
        let output = dataset.output(options)
        var stepTimes = timings[dataset.name] ?? [:]
        stepTimes[timing.step] = (ContinuousClock.now - timing.started) / .seconds(1)
        log.log(
            step: "split", "train \(result.trainCells) cells, test \(result.testCells) cells → \(output)",
            ["train": result.trainCells, "test": result.testCells, "step_seconds": stepTimes])
        let plan = try plan(dataset)
        // Interim files are gone after the split; the report lists only what stays, and no
        // timings (they are in the log), so that it is the same bytes on every run.
        var convertRecord = converted
        convertRecord.chunkFiles = []
        convertRecord.passSeconds = nil
        // How the work was done, not what came out (the log has it): a run resumed from a
        // checkpoint reads the input again rather than a spill.
        convertRecord.spillDroppedAfter = nil
        var cleanRecord = cleaned
        cleanRecord.files = []
        // Shards by their path in the dataset's folder (the folder itself moves when committed).
        var splitRecord = result
        let prefix = output + "/"
        splitRecord.trainFiles = result.trainFiles.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
        splitRecord.testFiles = result.testFiles.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
        let report = PreprocessReport(
            dataset: dataset.name, input: (dataset.input as NSString).lastPathComponent, vocabularySHA256: try encoded(vocabulary).checksum,
            vocabularySize: vocabulary.size, mapping: plan.mapping, duplicateGeneIDs: plan.duplicateGeneIDs, convert: convertRecord,
            clean: cleanRecord, split: splitRecord, options: PreprocessReport.Options(options))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try Self.writeAtomically(try encoder.encode(report), to: dataset.report(options))
        let manifest = CorpusManifest(
            dataset: dataset.name, datasets: nil, vocabulary: try encoded(vocabulary).checksum, medians: try mediansChecksum(),
            preset: options.preset?.rawValue, shards: try CorpusManifest.shards(in: output))
        try Self.writeAtomically(try manifest.json(), to: join(output, "manifest.json"))
        if !options.keepInterim { try? FileManager.default.removeItem(atPath: dataset.interim(options)) }
        outcomes[dataset.name] = PreprocessOutcome(
            dataset: dataset.name, input: dataset.input, succeeded: true, cells: converted.cells, trainCells: result.trainCells,
            testCells: result.testCells, seconds: 0)
    }

    // MARK: Helpers

    private func metadata(_ dataset: PreprocessDataset, _ vocabulary: Vocabulary) throws -> [String: String] {
        let score = options.convert.geneformerOrder ? "((count/n_counts)*10000)/nonzero_median" : "((count*10000)/n_counts)/nonzero_median"
        let wrap = options.preset?.addsClsAndEos == true ? ", between <cls> and <eos>" : ""
        var metadata = [
            "sluice.dataset": dataset.name,
            "sluice.vocab_sha256": try encoded(vocabulary).checksum,
            "sluice.vocab_source": vocabulary.source,
            "sluice.vocab_size": String(vocabulary.size),
            "sluice.top_genes": String(options.convert.topGenes),
            "sluice.tokenization": "rank-value: genes by \(score) desc, ties by token id\(wrap)",
            "sluice.medians": options.mediansPath == nil ? "dataset" : "table",
        ]
        if options.mediansPath != nil { metadata["sluice.medians_sha256"] = try medians().checksum }
        if let preset = options.preset { metadata["sluice.preset"] = preset.rawValue }
        return metadata
    }

    /// The median table's SHA-256, nil without one.
    private func mediansChecksum() throws -> String? {
        options.mediansPath == nil ? nil : try medians().checksum
    }

    /// With several datasets, `output/manifest.json`: every shard of the datasets done, by its
    /// path under the output folder.
    private func writeCorpusManifest(_ vocabulary: Vocabulary?) throws {
        guard datasets.count > 1, let vocabulary else { return }
        let done = datasets.filter { outcomes[$0.name]?.succeeded == true }
        var shards: [String: [CorpusManifest.Shard]] = [:]
        for dataset in done {
            for (split, list) in try CorpusManifest.shards(in: dataset.output(options), prefix: dataset.name + "/") { shards[split, default: []] += list }
        }
        let manifest = CorpusManifest(
            dataset: nil, datasets: done.map(\.name), vocabulary: try encoded(vocabulary).checksum, medians: try mediansChecksum(),
            preset: options.preset?.rawValue, shards: shards)
        try Self.writeAtomically(try manifest.json(), to: join(options.outputDirectory, "manifest.json"))
    }

    /// The median table and its SHA-256, read once a run.
    private func medians() throws -> (table: GeneValueTable, checksum: String) {
        if let medianTable { return medianTable }
        guard let path = options.mediansPath else { throw PreprocessError(code: "no-medians", message: "no median table was given") }
        let table = try GeneValueTable(path: path, what: "median table")
        if let bad = table.values.first(where: { !($0.value > 0) }) {
            throw FormatError(.invalidValue, path: path, "gives \(bad.key) the median \(bad.value); a non-zero median is positive (the median table)")
        }
        let read = (table: table, checksum: try Checksum.of(file: path) ?? "")
        medianTable = read
        return read
    }

    /// The median of each token of `vocabulary` that the median table names, by the token's
    /// gene name or (an HGNC vocabulary) its Ensembl id.
    private func mediansByToken(_ vocabulary: Vocabulary) throws -> [Int32: Double] {
        let values = try medians().table.values
        var byToken: [Int32: Double] = [:]
        for gene in vocabulary.genes {
            if let median = values[gene.name] ?? gene.ensembl_gene_id.flatMap({ values[$0] }) { byToken[gene.token] = median }
        }
        return byToken
    }

    /// Step 1's gene plan for `dataset`: the one made in this run, or else the one it wrote.
    private func plan(_ dataset: PreprocessDataset) throws -> GenePlan {
        if let plan = mapped[dataset.name]?.plan { return plan }
        return try Self.read(GenePlan.self, dataset.genePlan(options), step: .mapGenes)
    }

    /// Step 1's vocabulary for `dataset`: the one of this run when step 1 ran in it, or else the
    /// one it wrote to the dataset's interim folder.
    private func vocabulary(_ dataset: PreprocessDataset) throws -> Vocabulary {
        if let vocabulary = mapped[dataset.name]?.vocabulary { return vocabulary }
        return try Self.read(Vocabulary.self, join(dataset.interim(options), "vocab.json"), step: .mapGenes)
    }

    /// `vocabulary`'s canonical JSON and its SHA-256, encoded once while the vocabulary stays the same.
    private func encoded(_ vocabulary: Vocabulary) throws -> (json: Data, checksum: String) {
        if let cached = encodedVocabulary, cached.vocabulary == vocabulary { return (cached.json, cached.checksum) }
        let json = try vocabulary.jsonData()
        let checksum = Checksum.sha256(json)
        encodedVocabulary = (vocabulary, json, checksum)
        return (json, checksum)
    }

    private func record(_ value: some Encodable, _ dataset: PreprocessDataset, _ step: Step) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Self.writeAtomically(try encoder.encode(value), to: dataset.stepRecord(options, step.shortName))
    }

    private static func read<T: Decodable>(_ type: T.Type, _ path: String, step: Step) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PreprocessError(code: "missing-step-output", message: "\(path) is missing — run \(step.rawValue) first")
        }
        return try JSONDecoder().decode(T.self, from: data)
    }

    static func writeAtomically(_ data: Data, to path: String) throws {
        try AtomicCommit.write(data, to: path)
    }

    private func fail(_ dataset: PreprocessDataset, _ error: any Error, since start: ContinuousClock.Instant, step: Step? = nil) {
        let known = (error as? any SluiceError) ?? FormatError.fileSystem(error)
        let (code, reason) = known.map { ($0.codeText, $0.description) } ?? ("internal", "\(error)")
        let failedStep = step ?? currentStep
        DatasetLog(dataset: dataset.name, folder: dataset.logs(options), echo: echo).log(.error, step: failedStep.shortName, reason, ["code": code])
        // Partial work of a failed dataset is not kept: nothing half-written is left behind.
        try? FileManager.default.removeItem(atPath: dataset.interim(options))
        try? FileManager.default.removeItem(atPath: dataset.output(options))
        checkpoint(dataset)?.remove()
        outcomes[dataset.name] = PreprocessOutcome(
            dataset: dataset.name, input: dataset.input, succeeded: false, failedStep: failedStep.rawValue, errorCode: code,
            reason: reason, seconds: (ContinuousClock.now - start) / .seconds(1))
    }
}
