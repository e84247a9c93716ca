import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines

/// `sluice analyze differential`: marker genes of each group, as scanpy's `rank_genes_groups`.
struct DifferentialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "differential",
        abstract: "Rank genes of each group against the rest or a reference (scanpy rank_genes_groups: Wilcoxon or t-test), streamed.",
        discussion: """
            Computes what sc.tl.rank_genes_groups(adata, GROUPBY, method=…, reference=…, tie_correct=…, \
            use_raw=False) computes on FILE's matrix (X unless --matrix): scores (Wilcoxon z or Welch t), \
            logfoldchanges (log2 of expm1 of group means, +1e-9), pvals (two-sided) and pvals_adj \
            (Benjamini–Hochberg per group). --normalize first scales each cell to 10,000 counts and \
            takes log1p (sc.pp.normalize_total(target_sum=1e4) + sc.pp.log1p), as scanpy expects \
            log data.

            Groups are GROUPBY's labels in category order (text columns: sorted), or --groups in the \
            order given; a group or reference with fewer than 2 cells stops the run, as in scanpy. \
            Cells without a label count in every group's rest (scanpy's behaviour) and are noted. \
            --stratify COLUMN[,COLUMN…] runs the same test within each combination of the columns' \
            labels that cells carry (groups with < 2 cells there are skipped and noted); the table \
            then starts with one column per stratifying column, named as in the file.

            --effect activity-diff is for values that are already differences, such as the z-scores \
            of `sluice analyze activity --single-cell` (activity.h5ad): the effect column is \
            activity_diff, the group's mean minus the other side's, and neg_log10_pval (−log10 p) \
            and qvalue (Benjamini–Hochberg) follow the p-values.

            Cells are streamed CHUNK at a time. For Wilcoxon, non-zero values are gathered per gene \
            (8 bytes each) and only they are ranked (the zeros' tie rank is known); when they exceed \
            --memory-mb, the remaining genes are gathered by further passes over the file. t-tests \
            need only per-group sums: one pass, 16 bytes × groups × genes. Writes into --output: differential.tsv (columns [stratum,] group, names, scores, \
            logfoldchanges, pvals, pvals_adj; genes by score, highest first, as \
            sc.get.rank_genes_groups_df) and, with --parquet, differential.parquet.

            Sample level (--level samples; the default for a text table): FILE is a table of \
            features × samples (e.g. zscore.tsv of `sluice analyze activity`, or pseudobulk means) \
            or an h5ad whose rows are samples (pseudobulk.h5ad), and --samples names a table whose \
            first column names the samples and whose header names --groupby, the --stratify \
            columns and --pair-by (default for an h5ad: its obs). Each group is tested against \
            --reference (or the rest of its stratum) feature by feature as scipy tests samples: \
            wilcoxon is mannwhitneyu (exact when the smaller side has ≤ 8 samples and no ties, \
            else the normal approximation with tie and continuity corrections), t-test is Welch's \
            ttest_ind. With --pair-by COLUMN (e.g. patient: tumour against adjacent normal tissue, \
            or a timepoint against baseline; needs --reference) samples are matched by COLUMN \
            within each stratum and wilcoxon is the signed-rank test scipy.stats.wilcoxon (exact \
            for ≤ 50 pairs without zero differences, else the normal approximation with the tie \
            correction), t-test is ttest_rel; samples without a partner are left out and noted. \
            Writes differential.tsv (and with --parquet differential.parquet): [stratify \
            columns…,] group, reference, feature, samples, reference_samples, mean, \
            mean_reference, activity_diff or log2fc, statistic (U of the group, min(R+, R−), or \
            t), pvalue, neg_log10_pval, qvalue (BH per comparison); features in file order.

            --checkpoint-dir DIR records the run's state at most every --checkpoint-every: a Wilcoxon \
            run's after each block of genes it tested (the labels, each cell's group, 4 bytes a cell, \
            each gene's non-zero count and the statistics so far) and, in its first pass, after a \
            chunk of cells (the values stored so far go to differential.values beside the state, 8 \
            bytes a value, within --checkpoint-limit); a t-test's after a chunk of cells in its one \
            pass (the labels, each cell's group and the per-group sums, 16 bytes × groups × genes). A \
            run stopped at any moment and started again with the same input and options skips what \
            was done and writes the same files; what it does again is the chunks since the last \
            checkpoint, or the later Wilcoxon pass it was in.
            """)

    @Argument(help: "The input: h5ad, 10x HDF5, Matrix Market folder or Loom.") var input: String
    @Option(help: "The obs column whose labels are the groups.") var groupby: String
    @Option(help: "A group to compare every other group with, or 'rest'.") var reference = "rest"
    @Option(help: "Comma-separated groups to report (default: all), in this order.") var groups: String?
    @Flag(help: "Normalize each cell to 10,000 counts, then log1p (for raw counts).") var normalize = false
    @Flag(help: "Tie-correct the Wilcoxon variance (scanpy tie_correct=True).") var tieCorrect = false
    @Option(help: "wilcoxon, t-test or t-test_overestim_var.") var method = "wilcoxon"
    @Option(parsing: .unconditional, help: "Skip (and note) groups with fewer cells; 0: scanpy's rule, a group under 2 cells is an error.")
    var minCells = 0
    @Option(help: "Test separately within each combination of these obs columns' labels (comma-separated).") var stratify: String?
    @Option(help: "log2fc (scanpy's logfoldchanges, for log1p data) or activity-diff (difference of means, for activity z-scores).")
    var effect = "log2fc"
    @Option(help: "Which matrix to read: X (default), raw, or a layer name.") var matrix: String?
    @Option(parsing: .unconditional, help: "Cells per chunk.") var chunkSize = 10_000
    @Option(parsing: .unconditional, help: "Memory for gathered non-zero values, in MiB (more genes per pass).") var memoryMb = 2048
    @Option(help: "Folder for scratch files of CSC and Matrix Market inputs.") var scratch: String?
    @Flag(help: "Also write differential.parquet.") var parquet = false
    @Option(help: "cells, samples, or auto: samples for a text table, cells for a cells file.") var level = "auto"
    @Option(help: "Sample level: the samples' metadata table (first column: sample names); default for an h5ad: its obs.") var samples: String?
    @Option(help: "Sample level: the column that pairs each group's samples with the reference's (e.g. patient).") var pairBy: String?
    @Option(help: "Folder for the outputs (created).") var output: String

    @OptionGroup var features: FeatureTypesOption
    @OptionGroup var checkpoints: CheckpointOption

    func validate() throws {
        guard DifferentialMethod(rawValue: method) != nil else {
            throw ValidationError("--method must be one of \(DifferentialMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard chunkSize > 0 else { throw ValidationError("--chunk-size must be positive") }
        guard memoryMb > 0 else { throw ValidationError("--memory-mb must be positive") }
        guard let effect = DifferentialEffect(rawValue: effect) else {
            throw ValidationError("--effect must be one of \(DifferentialEffect.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if effect == .activityDifference && normalize {
            throw ValidationError("--effect activity-diff compares values as given; --normalize is for raw counts")
        }
        guard ["auto", "cells", "samples"].contains(level) else { throw ValidationError("--level must be auto, cells or samples") }
        if tieCorrect && method != DifferentialMethod.wilcoxon.rawValue {
            throw ValidationError("--tie-correct applies to --method wilcoxon only")
        }
    }

    /// Whether FILE is tested sample by sample: `--level samples`, or a text table under `auto`.
    private var samplesLevel: Bool {
        switch level {
        case "samples": true
        case "cells": false
        default: (try? FormatDetector.detect(input)) == nil && FileManager.default.fileExists(atPath: input)
        }
    }

    func run() throws {
        var options = DifferentialOptions(groupBy: groupby)
        options.reference = reference == "rest" ? nil : reference
        options.groups = groups.map { CommaList.items($0) }
        options.normalize = normalize
        options.minCells = minCells
        options.tieCorrect = tieCorrect
        options.method = DifferentialMethod(rawValue: method)!
        options.stratify = CommaList.items(stratify)
        options.effect = DifferentialEffect(rawValue: effect)!
        options.pairBy = pairBy
        if samplesLevel { return try runSamples(options) }
        guard samples == nil, pairBy == nil else {
            throw ValidationError("--samples and --pair-by apply to sample-level tables (--level samples)")
        }
        options.chunkSize = chunkSize
        options.memoryBudget = memoryMb << 20

        let clock = ContinuousClock.now
        let source = try CellSourceOpener.open(input, matrix: matrix, scratchDirectory: scratch, features: features.selection)
        let display = ProgressDisplay()
        var analysis = DifferentialExpression(source: source, options: options)
        let name = (input as NSString).lastPathComponent
        analysis.progress = { step, done, total in display.update(dataset: name, step: step, done: done, total: total) }
        // Everything that changes the result, the blocks of genes or the chunks of cells.
        let settings = [
            groupby, reference, groups ?? "", "\(minCells)", "\(normalize)", "\(tieCorrect)", method, stratify ?? "", effect, matrix ?? "", "\(memoryMb)",
            "\(chunkSize)", features.featureTypes ?? "",
        ]
        analysis.checkpoint = checkpoints.checkpoint(name: "differential", input: input, settings: settings)
        analysis.note = { display.line($0) }
        let result = try analysis.run()
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try DifferentialTable.writeTSV(result, to: output + "/differential.tsv")
        if parquet { try DifferentialTable.writeParquet(result, to: output + "/differential.parquet") }
        try result.report.write(toFolder: output)
        analysis.checkpoint?.remove()
        let seconds = (ContinuousClock.now - clock) / .seconds(1)

        for note in result.notes { display.line("note: \(note)") }
        let strata = Set(result.comparisons.map(\.strata)).count
        let scope = result.stratifiedBy.isEmpty ? "" : " in \(strata) strata of \(result.stratifiedBy.joined(separator: " × "))"
        let peak = ProcessMemory.peakResidentBytes.map { ", peak memory \(ByteCount.format($0))" } ?? ""
        display.line(
            "\(method): \(result.comparisons.count) comparisons (\(groupby) vs \(reference))\(scope) over \(result.cells) cells × \(result.genes.count) genes, \(result.passes) pass\(result.passes == 1 ? "" : "es") in \(String(format: "%.2f", seconds)) s\(peak) → \(output)/differential.tsv\(parquet ? " + differential.parquet" : "")"
        )
    }

    /// The sample-level test (``SampleDifferential``).
    private func runSamples(_ options: DifferentialOptions) throws {
        if normalize || tieCorrect { throw ValidationError("--normalize and --tie-correct apply to cells; a sample-level table is tested as given") }
        let isH5AD = MatrixTable.isH5AD(input)
        guard let metadataPath = samples ?? (isH5AD ? input : nil) else {
            throw ValidationError("a sample-level table needs --samples, the table of each sample's \(groupby)")
        }
        let values = try MatrixTable.readTableOrH5AD(input, matrix: matrix)
        let metadata = try SampleMetadata.read(metadataPath, columns: SampleDifferential.columns(options), code: "differential.samples")
        let result = try SampleDifferential(values: values, metadata: metadata, options: options).run()
        var files = try ExportFormat.tsv.write([result.table], study: "differential", to: output)
        if parquet { files += try ExportFormat.parquet.write([result.table], study: "differential", to: output) }
        let significant = result.rows.filter { $0.qvalue < 0.05 }.count
        try AnalysisReport(
            analysis: "differential",
            counts: [
                .init("samples", result.samples), .init("features", values.rows.count), .init("comparisons", result.comparisons.count),
                .init("tests with q < 0.05", significant),
            ]
        ).write(toFolder: output)
        for note in result.notes { print("note: \(note)") }
        let test = pairBy.map { "paired by \($0), " } ?? ""
        print(
            "\(method) (\(test)sample level): \(result.comparisons.count) comparisons over \(result.samples) samples × \(values.rows.count) features, \(significant) tests with q < 0.05 → \(files.joined(separator: " + "))"
        )
    }
}
