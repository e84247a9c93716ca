import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluiceLoopback
import SluicePipelines

/// `sluice demo`: a whole pipeline on data Sluice makes itself — datasets served over loopback
/// HTTP, fetched, tokenized into a Parquet corpus and cleaned up under a disk budget smaller
/// than the datasets, with one deliberately corrupt file that fails alone.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a whole pipeline on small datasets Sluice makes itself, under a small disk budget.",
        discussion: """
            Generates seeded h5ad datasets of different sizes (plus one truncated, corrupt file), \
            serves them on 127.0.0.1, and runs fetch → preprocess → digest → cleanup with a disk \
            budget smaller than the datasets' total, so downloads wait for processed items to free \
            space. Prints live progress, the summary, and where the outputs are. The folder is kept: \
            inspect it with `sluice status DIR/pipeline.yaml` and `sluice events DIR/pipeline.yaml`.
            """)

    @Option(help: "Folder for the demo (datasets, pipeline.yaml, workspace); a demo folder left by an earlier demo is emptied first, any other folder must be empty or absent.")
    var directory = "sluice-demo"

    @Option(parsing: .unconditional, help: "Datasets to generate (one more is corrupt).")
    var datasets = 12

    @Option(parsing: .unconditional, help: "Genes per dataset.")
    var genes = 2_000

    func validate() throws {
        guard datasets >= 1, genes >= 100 else { throw ValidationError("--datasets must be ≥ 1 and --genes ≥ 100") }
    }

    func run() async throws {
        let folder = URL(fileURLWithPath: directory).standardizedFileURL.path
        let served = folder + "/served"
        let marker = folder + "/.sluice-demo"
        // Only a folder an earlier demo made (its marker file) is emptied: never a user's folder.
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: folder), !existing.isEmpty {
            guard FileManager.default.fileExists(atPath: marker) else {
                throw ValidationError("\(folder) is not empty and was not made by `sluice demo`; give another --directory")
            }
            try FileManager.default.removeItem(atPath: folder)
        }
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: marker, contents: Data("made by sluice demo; the folder is emptied by the next demo\n".utf8))

        print("1. Generating \(datasets) datasets (negative-binomial counts, seeded) and one corrupt file → \(served)")
        var sizes: [Int64] = []
        for index in 0..<datasets {
            let cells = 2_000 + 500 * index
            let path = served + "/donor_\(index + 1).h5ad"
            try SyntheticCounts(cells: cells, genes: genes, density: 0.08, seed: UInt64(100 + index)).write(to: path)
            sizes.append(DiskUsage.contentBytes(at: path))
            print("   donor_\(index + 1).h5ad  \(cells) cells × \(genes) genes  \(ByteSize.format(sizes.last!))")
        }
        let good = try Data(contentsOf: URL(fileURLWithPath: served + "/donor_1.h5ad"))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: served + "/corrupt.h5ad"))
        print("   corrupt.h5ad  the first half of donor_1.h5ad (truncated on purpose)")

        let server = try await LoopbackServer.start(root: served)
        let total = sizes.reduce(0, +) + Int64(good.count / 2)
        // The outputs that stay (about a fifth of the input at 64 tokens a cell) plus room for
        // about two datasets in flight: well under the datasets' total. The 2 MiB beside the
        // ledger's slack keep a fetch that finished early (a busy machine reorders them) from
        // taking the room an earlier dataset's preprocess needs: fetches keep free the room of
        // their own item's later stages, not yet of every item fetched before them.
        let largest = sizes.max() ?? 0
        let budget = Workspace.overheadSlack + (2 << 20) + largest * 5 / 2 + total / 4
        print("\n2. Serving them at \(server.url("")) — \(ByteSize.format(total)) in all; the budget is \(ByteSize.format(budget))")

        let items = (0..<datasets).map { "  - {url: \"\(server.url("slow/2/donor_\($0 + 1).h5ad"))\"}" } + ["  - {url: \"\(server.url("corrupt.h5ad"))\"}"]
        let yaml = """
            # Made by `sluice demo`. Run it again with: sluice run \(folder)/pipeline.yaml
            workspace: ./work
            budget:
              total: \(budget)
            items:
            \(items.joined(separator: "\n"))
            stages:
              - fetch: {concurrency: 2, retries: 3}
              - preprocess: {chunk_size: 2000, top_genes: 64, test_size: 0.1, output_ratio: 0.6}
              - command:
                  name: digest
                  argv: [sh, -c, 'cat "$0"/train/chunks/*.parquet | sha256sum > "$1/train.sha256"', "{in}", "{out}"]
                  outputs: [train.sha256]
                  reserve: 4kB
              - cleanup: {keep: [output]}
            """
        let pipelinePath = folder + "/pipeline.yaml"
        try yaml.write(toFile: pipelinePath, atomically: true, encoding: .utf8)
        print("   pipeline: \(pipelinePath)\n")

        print("3. sluice run \(pipelinePath)")
        let config = try loadPipeline(pipelinePath)
        let display = RunDisplay(enabled: true)
        let session = try await PipelineSession(config: config, onLine: { display.line("   " + $0) })
        let peak = PeakSampler(folder + "/work")
        let summary: RunSummary
        do {
            summary = try await session.run(alongside: [peak, LiveProgress(display: display, runner: session.runner)])
        } catch {
            try? await server.shutdown()
            throw error
        }
        let highest = peak.peak
        print("")
        print(RunSummaryText.render(summary, workspace: Workspace(root: config.workspace), ledger: config.ledger))
        print(await ReportLine.write(config, ledger: session.runner.ledger, pipeline: pipelinePath) + "  (open it in a browser: timeline, disk use, failures)")
        print(
            """

            Disk: the workspace peaked at \(ByteSize.format(highest)) (sampled every 50 ms) under a budget of \
            \(ByteSize.format(budget)), while \(ByteSize.format(total)) of datasets passed through it.
            \(summary.failed == 1 && summary.items.first { $0.state == .failed }?.item == "corrupt"
                ? "The corrupt file failed alone, with its reason; everything else finished."
                : "\(summary.failed) item(s) failed; see the reasons above.")
            Next: sluice status \(pipelinePath) · sluice events \(pipelinePath) · \
            sluice inspect \(config.workspace)/output/donor_1/train/chunks/chunk_0000.parquet
            """)
        try await server.shutdown()
    }
}
