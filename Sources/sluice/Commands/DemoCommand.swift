import ArgumentParser
import Foundation
import SluiceFormats
import SluicePipelines

/// `sluice demo`: makes a small dataset, inspects it and streams it back, so a new user sees
/// Sluice's readers and writers work in seconds on data it generates itself.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate a small single-cell dataset, inspect it and stream it back.",
        discussion: """
            Writes a gzip-compressed h5ad of negative-binomial counts (seeded, so every run makes the \
            same bytes) into the demo folder, shows what `sluice inspect` reports, then streams it in \
            chunks and checks every cell's total against the n_counts column written with it.
            """)

    @Option(help: "Folder for the demo's files (created; reused on the next run).")
    var directory = "sluice-demo"

    @Option(help: "Cells to generate.")
    var cells = 20_000

    @Option(help: "Genes to generate.")
    var genes = 2_000

    @Option(help: "Cells per streamed chunk.")
    var chunkSize = 2_500

    func validate() throws {
        guard cells > 0, genes > 0, chunkSize > 0 else { throw ValidationError("--cells, --genes and --chunk-size must be positive") }
    }

    func run() throws {
        try reportingErrors {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = (directory as NSString).appendingPathComponent("demo.h5ad")
            let clock = ContinuousClock()

            print("1. Generating \(cells) cells × \(genes) genes of negative-binomial counts → \(path)")
            let written = try clock.measure {
                try SyntheticCounts(cells: cells, genes: genes, density: 0.08, seed: 42).write(to: path)
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            print("   wrote \(ByteCount.format(size)) in \(Self.seconds(written))\n")

            print("2. sluice inspect \(path)")
            let source = try CellSourceOpener.open(path)
            print(InspectCommand.render(try CellSourceSummary(source, preview: 3)).split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
            print("")

            print("3. Streaming it back in chunks of \(chunkSize) cells")
            var checked = 0
            var stored = 0
            var mismatches = 0
            let read = try clock.measure {
                for range in source.batchRanges(size: chunkSize) {
                    let batch = try source.read(cells: range)
                    guard case .floats(let totals)? = batch.obs["n_counts"]?.values else { continue }
                    for row in 0..<batch.matrix.rowCount {
                        let sum = batch.matrix.row(row).values.reduce(0.0) { $0 + Double($1) }
                        if sum != totals[row] { mismatches += 1 }
                    }
                    checked += batch.matrix.rowCount
                    stored += batch.matrix.nonZeroCount
                }
            }
            let rate = Double(checked) / max(1e-9, read / .seconds(1))
            print("   read \(checked) cells (\(stored) non-zero counts) in \(Self.seconds(read)): \(Int(rate)) cells/s")
            print("   peak memory \(ByteCount.format(ProcessMemory.peakResidentBytes ?? 0))")
            print(mismatches == 0 ? "   every cell's counts add up to its n_counts ✓" : "   \(mismatches) cells disagree with n_counts ✗")
            print("")

            print("4. sluice preprocess run-all \(path) (rank-value tokens → Parquet train/test shards)")
            var options = PreprocessOptions()
            options.interimDirectory = (directory as NSString).appendingPathComponent("interim")
            options.outputDirectory = (directory as NSString).appendingPathComponent("corpus")
            options.logDirectory = (directory as NSString).appendingPathComponent("logs")
            options.convert.chunkSize = chunkSize
            options.convert.topGenes = 256
            let run = PreprocessRun(datasets: PreprocessDataset.datasets([path]), options: options)
            var outcomes: [PreprocessOutcome] = []
            let built = clock.measure { outcomes = run.run() }
            guard let outcome = outcomes.first, outcome.succeeded else {
                print("   failed: \(outcomes.first?.reason ?? "unknown error")")
                throw SluiceExitCode.someItemsFailed
            }
            print("   \(outcome.trainCells ?? 0) train + \(outcome.testCells ?? 0) test cells in \(Self.seconds(built))")
            print("   shards: \(options.outputDirectory)/demo/{train,test}/chunks/, report: \(options.outputDirectory)/demo/report.json")
            print("\nTry it on your own data: sluice inspect FILE, sluice preprocess run-all FILE, sluice bench read FILE")
            if mismatches > 0 { throw SluiceExitCode.someItemsFailed }
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f s", duration / .seconds(1))
    }
}
