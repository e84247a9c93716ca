import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines

/// `sluice analyze pseudobulk`: per-group sums, means and non-zero counts of any cells × genes
/// file, in one streaming pass.
struct PseudobulkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pseudobulk",
        abstract: "Sum cells into pseudobulk samples by obs labels (scanpy aggregate + decoupler filters), streamed.",
        discussion: """
            Cells are read CHUNK at a time, once. For each group — a combination of the --by labels — \
            every gene's sum over the group's cells, its mean (sum / cells) and the number of cells \
            where it is non-zero are kept, as scanpy.get.aggregate(func=["sum","mean","count_nonzero"]) \
            computes them. Memory is one chunk plus 12 bytes × groups × genes. Cells with a missing \
            label are left out and counted. Groups are kept with at least --min-cells cells and \
            --min-counts total counts (decoupler's get_pseudobulk rule; 0 turns a filter off).

            --hierarchy FILE --level L aggregates the cell-type column (--hierarchy-column, by default \
            cell_type if it is a --by column, else the first) at a coarser level: FILE is a TSV whose \
            header names the levels coarsest first (L1, L2, L3) and whose rows map each fine label to \
            its coarser ones. Labels the hierarchy does not know stop the run with a list of them.

            --bootstrap N gives each group N Poisson(1) bootstrap replicates: cell c is drawn k times in \
            replicate r, k from a SplitMix64 hash of (--seed, r, c), so nothing is stored per cell and \
            the result does not depend on the chunk size. It reports the mean of the replicates' \
            pseudobulk means and their 2.5/97.5 percentiles (a 95% interval); memory grows by \
            8 bytes × groups × genes × N.

            Writes into --output: pseudobulk.h5ad (X = sums, float32) and pseudobulk_mean.h5ad \
            (X = means) with obs psbulk_cells, psbulk_counts; sum.tsv, mean.tsv, nonzero.tsv \
            (genes × groups) and bootstrap_{mean,lower,upper}.tsv; pseudobulk.parquet (a row per \
            group and gene); groups.tsv (every group, kept or not).

            --checkpoint-dir DIR records the pass's state (the groups and their sums) every \
            --checkpoint-every: a run stopped at any moment and started again with the same input and \
            options resumes there and writes the same files. A state takes 12 bytes × groups × genes \
            (plus the bootstrap's), twice while it is replaced.
            """)

    @Argument(help: "The input: h5ad, 10x HDF5, Matrix Market folder or Loom.") var input: String
    @Option(help: "Comma-separated obs columns that define a group (e.g. cell_type,donor_id).") var by: String
    @Option(help: "Folder for scratch files of CSC and Matrix Market inputs (default: the system temporary folder).") var scratch: String?
    @Option(parsing: .unconditional, help: "Keep groups with at least this many cells.") var minCells = 10
    @Option(parsing: .unconditional, help: "Keep groups with at least this many total counts.") var minCounts: Double = 1000
    @Option(help: "Cell-type hierarchy TSV (header: levels coarsest first, e.g. L1 L2 L3).") var hierarchy: String?
    @Option(help: "The hierarchy level to aggregate at (a header field of --hierarchy).") var level: String?
    @Option(help: "The --by column the hierarchy relabels (default: cell_type, else the first --by column).")
    var hierarchyColumn: String?
    @Option(parsing: .unconditional, help: "Poisson bootstrap replicates per group (0: none).") var bootstrap = 0
    @Option(parsing: .unconditional, help: "Seed of the bootstrap.") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Cells per chunk.") var chunkSize = 10_000
    @Option(help: "Which matrix to read: X (default), raw, or a layer name.") var matrix: String?
    @Option(parsing: .unconditional, help: "Most memory the per-group accumulators may take, in GiB.") var maxMemory: Double = 8
    @Option(help: "Folder for the outputs (created).") var output: String

    @OptionGroup var features: FeatureTypesOption
    @OptionGroup var checkpoints: CheckpointOption

    func validate() throws {
        guard chunkSize > 0 else { throw ValidationError("--chunk-size must be positive") }
        guard minCells >= 0, minCounts >= 0, minCounts.isFinite else { throw ValidationError("--min-cells and --min-counts must be 0 or more") }
        guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be 0 or more") }
        guard (hierarchy == nil) == (level == nil) else { throw ValidationError("--hierarchy and --level go together") }
        guard maxMemory > 0, maxMemory.isFinite else { throw ValidationError("--max-memory must be positive") }
    }

    func run() throws {
        let columns = CommaList.items(by)
        var options = PseudobulkOptions(by: columns)
        options.minCells = minCells
        options.minCounts = minCounts
        options.bootstrapReplicates = bootstrap
        options.seed = seed
        options.chunkSize = chunkSize
        options.accumulatorMemoryLimit = Int(maxMemory * Double(1 << 30))
        if let hierarchy, let level {
            let column = hierarchyColumn ?? (columns.contains("cell_type") ? "cell_type" : columns.first ?? "cell_type")
            options.hierarchy = .init(
                hierarchy: try CellTypeHierarchy(contentsOf: hierarchy), level: level, column: column)
        }

        let clock = ContinuousClock.now
        let source = try CellSourceOpener.open(input, matrix: matrix, scratchDirectory: scratch, features: features.selection)
        let display = ProgressDisplay()
        var aggregator = PseudobulkAggregator(options: options)
        let name = (input as NSString).lastPathComponent
        aggregator.progress = { done, total in display.update(dataset: name, step: "pseudobulk", done: done, total: total)
        }
        // Everything that changes the groups, their sums or the chunks.
        let settings = [
            by, "\(minCells)", "\(minCounts)", hierarchy ?? "", level ?? "", options.hierarchy?.column ?? "", "\(bootstrap)", "\(seed)",
            "\(chunkSize)", matrix ?? "", features.featureTypes ?? "",
        ]
        aggregator.checkpoint = checkpoints.checkpoint(name: "pseudobulk", input: input, settings: settings)
        aggregator.note = { display.line($0) }
        let result = try aggregator.run(source)
        let aggregated = ContinuousClock.now
        let written = try PseudobulkOutput.write(result, to: output)
        try result.report.write(toFolder: output)
        aggregator.checkpoint?.remove()
        let seconds = (ContinuousClock.now - clock) / .seconds(1)
        let passSeconds = (aggregated - clock) / .seconds(1)

        let kept = result.keptGroups.count
        display.line(
            "\(result.cells) cells × \(result.genes.rowCount) genes → \(result.groups.count) groups by \(result.keyColumns.joined(separator: ", ")); \(kept) kept (≥ \(minCells) cells and ≥ \(Self.number(minCounts)) counts), \(result.groups.count - kept) filtered out"
        )
        if result.droppedCells > 0 {
            let columns = result.missingLabels.filter { $0.cells > 0 }.map { "\($0.column): \($0.cells)" }.joined(
                separator: ", ")
            display.line("\(result.droppedCells) cells with a missing label were left out (\(columns))")
        }
        if bootstrap > 0 {
            display.line(
                "bootstrap: \(bootstrap) Poisson(1) replicates per group, seed \(seed) → bootstrap_{mean,lower,upper}.tsv"
            )
        }
        if written.inexactSums > 0 {
            display.line(
                "note: \(written.inexactSums) sums exceed float32's exact range in pseudobulk.h5ad; sum.tsv and pseudobulk.parquet hold them exactly"
            )
        }
        let peak = ProcessMemory.peakResidentBytes.map { ", peak memory \(ByteCount.format($0))" } ?? ""
        display.line(
            "in \(String(format: "%.2f", seconds)) s (pass \(String(format: "%.2f", passSeconds)) s, writing \(String(format: "%.2f", seconds - passSeconds)) s)\(peak) → \(output)/{pseudobulk.h5ad, pseudobulk_mean.h5ad, sum.tsv, mean.tsv, nonzero.tsv, pseudobulk.parquet, groups.tsv}"
        )
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
