import Foundation
import SluiceEngine
import SluicePipelines
import SluiceTestSupport
import Testing

/// `analyze` stages: `sluice analyze` per item inside a pipeline — chained (pseudobulk, then
/// activity of the pseudobulk), or reading an earlier stage's outputs with `from:` — with the
/// numbers SecActpy gives, failures kept to their item, inputs deleted by their last reader, and
/// misspelt options refused before anything runs.
@Suite struct AnalyzeStageTests {
    static let fixtures = Fixtures.directory + "/cell_activity"

    func pipeline(_ folder: TemporaryDirectory, sluice: String, extraOptions: String = "") throws -> String {
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for name in ["a", "b"] { try FileManager.default.copyItem(atPath: Self.fixtures + "/cells.h5ad", toPath: folder.file("in/\(name).h5ad")) }
        try Data("not an h5ad file".utf8).write(to: URL(fileURLWithPath: folder.file("in/broken.h5ad")))
        let signature = Self.fixtures + "/cytosig_overlap.tsv"
        let yaml = """
            workspace: ./work
            budget: {total: 20MB}
            items:
              - directory: in
                glob: "*.h5ad"
            stages:
              - fetch: {}
              - analyze:
                  run: pseudobulk
                  executable: \(sluice)
                  options: {by: cell_type, min_cells: 1, min_counts: 0}
              - analyze:
                  run: activity
                  executable: \(sluice)
                  input: pseudobulk.h5ad
                  options: {signature: \(signature), lambda: 1e4, n_rand: 200, group_signatures: "no"}
              - analyze:
                  run: correlate
                  executable: \(sluice)
                  input: zscore.tsv
                  options: {covariates: covariates.tsv, columns: rank, method: spearman}
              - analyze:
                  name: cells
                  from: fetch
                  run: activity
                  executable: \(sluice)
                  options: {signature: \(signature), lambda: 1e4, n_rand: 200, single_cell: true\(extraOptions)}
              - cleanup: {keep: [output]}
            """
        try "group\trank\nb cell\t1\nDendritic\t2\nMonocyte\t3\nnk cell\t4\nT cell\t5\n"
            .write(toFile: folder.file("covariates.tsv"), atomically: true, encoding: .utf8)
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        return folder.file("p.yaml")
    }

    @Test func analysesRunPerItemAndMatchSecActpy() async throws {
        let folder = try TemporaryDirectory("sluice-analyze")
        let path = try pipeline(folder, sluice: try SluiceBinary.path())
        let session = try await PipelineSession(config: try PipelineConfig.load(path, registry: PipelineStages.registry()))
        let summary = try await session.run()
        let outcome = Dictionary(uniqueKeysWithValues: summary.items.map { ($0.item, $0) })
        #expect(outcome["a"]?.state == .done)
        #expect(outcome["b"]?.state == .done)
        // The broken file fails its item only, with sluice's own one-line reason.
        #expect(outcome["broken"]?.state == .failed)
        #expect(outcome["broken"]?.reason?.contains("no HDF5 signature") == true)

        // Activity of the pseudobulk file equals SecActpy's pseudobulk-level result by cell type.
        let ours = try MatrixTable.read(folder.file("work/output/a/activity/zscore.tsv"))
        let reference = try MatrixTable.read(Self.fixtures + "/pseudobulk_zscore.tsv")
        #expect(ours.rows == reference.rows)
        #expect(Set(ours.columns) == Set(reference.columns))
        for (column, name) in reference.columns.enumerated() {
            let mine = try #require(ours.columns.firstIndex(of: name))
            for row in 0..<reference.rows.count {
                #expect(abs(ours[row, mine] - reference[row, column]) <= 1e-6 * max(1, abs(reference[row, column])))
            }
        }
        // Activity of each cell type against its covariate: one Spearman row per signature.
        let correlations = try String(contentsOfFile: folder.file("work/output/a/correlate/correlations.tsv"), encoding: .utf8)
        let lines = correlations.split(separator: "\n")
        #expect(lines.first == "signature\tcovariate\tmethod\tr\tpvalue\tqvalue\tn")
        #expect(lines.count == 1 + reference.rows.count)
        #expect(lines.dropFirst().allSatisfy { $0.contains("\trank\tspearman\t") && $0.hasSuffix("\t5") })
        // Each analysis wrote what it found beside its outputs (report.json), and the run
        // report shows it in a table per stage.
        let found = Dictionary(
            uniqueKeysWithValues: AnalysisReport.read(outputFolder: folder.file("work/output")).filter { $0.item == "a" }.map { ($0.stage, $0) })
        #expect(found.keys.sorted() == ["activity", "cells", "correlate", "pseudobulk"])
        func count(_ stage: String, _ name: String) -> Double? { found[stage]?.counts.first { $0.name == name }?.value }
        let cellTypes = Double(reference.columns.count)
        #expect(count("pseudobulk", "groups") == cellTypes && count("pseudobulk", "groups kept") == cellTypes)
        let cells = try #require(count("cells", "cells"))
        #expect(cells > 0 && count("pseudobulk", "cells") == cells)
        #expect(count("activity", "samples") == Double(ours.columns.count) && count("activity", "signatures") == Double(ours.rows.count))
        #expect(count("activity", "permutations") == 200 && count("cells", "signatures") == Double(ours.rows.count))
        #expect(count("correlate", "correlations") == Double(reference.rows.count))
        let sizes = try #require(found["pseudobulk"]?.figures.first?.histogram)
        #expect(Double(sizes.kept.reduce(0, +)) == cellTypes && sizes.filtered.allSatisfy { $0 == 0 })
        let report = try await RunReport.gather(workspace: session.runner.workspace, ledger: session.runner.ledger)
        let html = report.html()
        #expect(html.contains("<h3>pseudobulk (pseudobulk)</h3>") && html.contains("<h3>cells (activity)</h3>"))
        #expect(html.contains("<tr><td>a</td><td>\(Int(cells))</td>"))
        #expect(html.contains("<tr><td>a</td><td>\(reference.rows.count)</td><td>"), "the correlate stage's row")
        // The single-cell stage read the fetched file (from: fetch), which its last reader deleted.
        #expect(FileManager.default.fileExists(atPath: folder.file("work/output/b/cells/activity.h5ad")))
        #expect(FileManager.default.fileExists(atPath: folder.file("work/output/b/pseudobulk/pseudobulk.h5ad")))
        #expect(FileManager.default.fileExists(atPath: folder.file("work/raw/a")) == false)
        // A finished item's program output joined the run's log of the stage, under its name.
        #expect(!FileManager.default.fileExists(atPath: folder.file("work/logs/items/a")))
        let log = FoldedLog.section(folder.file("work/logs/cells.log"), item: "a")
        #expect(log.contains("analyze activity") && log.contains("--single-cell"))
    }

    @Test func stageOptionsBecomeCommandLineArguments() throws {
        let folder = try TemporaryDirectory("sluice-analyze")
        let config = try PipelineConfig.load(try pipeline(folder, sluice: "/usr/bin/true"), registry: PipelineStages.registry())
        let cells = try #require(config.stage(named: "cells") as? AnalyzeStage)
        #expect(cells.header.kind == "analyze")
        #expect(cells.header.from == "fetch")
        #expect(cells.options.analysis == .activity)
        #expect(
            cells.options.arguments == [
                "--signature", Self.fixtures + "/cytosig_overlap.tsv", "--lambda", "1e4", "--n-rand", "200", "--single-cell",
            ])
        #expect(cells.options.expectedOutput == "activity.h5ad")
        #expect((config.stage(named: "activity") as? AnalyzeStage)?.options.expectedOutput == "zscore.tsv")
        #expect((config.stage(named: "pseudobulk") as? AnalyzeStage)?.options.arguments == ["--by", "cell_type", "--min-cells", "1", "--min-counts", "0"])
        #expect(
            (config.stage(named: "correlate") as? AnalyzeStage)?.options.arguments == [
                "--covariates", folder.file("covariates.tsv"), "--columns", "rank", "--method", "spearman",
            ])
        #expect((config.stage(named: "correlate") as? AnalyzeStage)?.options.expectedOutput == "correlations.tsv")
        // Pseudobulk, differential and single-cell activity take checkpoints (every 5 minutes
        // from 200,000 cells, by default) and so keep an interrupted attempt's partial output;
        // activity on tables starts afresh.
        let pseudobulk = try #require(config.stage(named: "pseudobulk") as? AnalyzeStage)
        #expect(pseudobulk.options.checkpointEvery == 300 && pseudobulk.options.checkpointMinCells == 200_000)
        #expect(pseudobulk.resumesInterruptedAttempts && cells.resumesInterruptedAttempts)
        #expect((config.stage(named: "activity") as? AnalyzeStage)?.resumesInterruptedAttempts == false)
    }

    @Test func checkpointKeysBelongToAnalysesThatTakeCheckpoints() throws {
        let folder = try TemporaryDirectory("sluice-analyze")
        let path = try pipeline(folder, sluice: "/usr/bin/true")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let pseudobulk = "options: {by: cell_type, min_cells: 1, min_counts: 0}"
        try text.replacingOccurrences(of: pseudobulk, with: pseudobulk + "\n      checkpoint_every: \"off\"\n      checkpoint_space: 1GB")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let config = try PipelineConfig.load(path, registry: PipelineStages.registry())
        let stage = try #require(config.stage(named: "pseudobulk") as? AnalyzeStage)
        #expect(stage.options.checkpointEvery == nil && stage.options.checkpointSpace == 1_000_000_000 && !stage.resumesInterruptedAttempts)

        try text.replacingOccurrences(of: "group_signatures: \"no\"}", with: "group_signatures: \"no\"}\n      checkpoint_every: 10m")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try PipelineConfig.load(path, registry: PipelineStages.registry())
        } throws: { error in
            (error as? ConfigError)?.message.contains(
                "'checkpoint_every' applies to analyses that take checkpoints (pseudobulk, differential, single-cell activity), not activity without single_cell"
            ) == true
        }
    }

    @Test func unknownAnalysisAndBadFromAreConfigErrors() throws {
        let folder = try TemporaryDirectory("sluice-analyze")
        let path = try pipeline(folder, sluice: "/usr/bin/true")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for (change, expected) in [
            (("run: pseudobulk", "run: pseudobulks"), "'pseudobulks' is not an analysis"),
            (("from: fetch", "from: cleanup"), "reads 'from: cleanup', which is not an earlier stage"),
        ] {
            try text.replacingOccurrences(of: change.0, with: change.1).write(toFile: path, atomically: true, encoding: .utf8)
            #expect {
                try PipelineConfig.load(path, registry: PipelineStages.registry())
            } throws: { error in
                (error as? ConfigError)?.message.contains(expected) == true
            }
        }
    }

    /// The CLI parses each stage's options as `sluice analyze` would, before anything runs.
    @Test func misspeltOptionStopsTheRunBeforeItStarts() async throws {
        let folder = try TemporaryDirectory("sluice-analyze")
        let sluice = try SluiceBinary.path()
        let path = try pipeline(folder, sluice: sluice, extraOptions: ", n_rnd: 5")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sluice)
        process.arguments = ["run", path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: try await offThePool { errors.fileHandleForReading.readDataToEndOfFile() }, as: UTF8.self)
        #expect(await exitStatus(of: process) == 2)
        #expect(message.contains("p.yaml:"))
        #expect(message.contains("stage 'cells'"))
        #expect(message.contains("--n-rnd"))
        #expect(FileManager.default.fileExists(atPath: folder.file("work/sluice.db")) == false)
    }

    /// Single-cell activity reserves its output (cells × signatures × 32 bytes) before it runs,
    /// since a ratio of the input's size cannot foresee it: one that can never fit the budget
    /// fails its item at once, and the analysis never starts.
    @Test func singleCellActivityReservesItsOutputFirst() async throws {
        let folder = try TemporaryDirectory("sluice-analyze")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/cells.h5ad", toPath: folder.file("in/a.h5ad"))
        // 4,000 signatures over the fixture's genes: 150 cells × 4,000 × 32 B ≈ 19 MB of output.
        let base = try MatrixTable.read(Self.fixtures + "/cytosig_overlap.tsv")
        var wide = LabeledMatrix(rows: base.rows, columns: (0..<4_000).map { "S\($0)" }, values: [Double](repeating: 0, count: base.rows.count * 4_000))
        for row in 0..<base.rows.count { for column in 0..<4_000 { wide[row, column] = base[row, column % base.columns.count] + Double(column) * 1e-3 } }
        try MatrixTable.write(wide, label: "gene", to: folder.file("wide.tsv"))
        let yaml = """
            workspace: ./work
            budget: {total: 8MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - analyze:
                  run: activity
                  executable: \(try SluiceBinary.path())
                  options: {signature: wide.tsv, n_rand: 10, single_cell: true, group_signatures: "no"}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let summary = try await PipelineSession(config: try PipelineConfig.load(folder.file("p.yaml"), registry: PipelineStages.registry())).run()
        let outcome = try #require(summary.items.first)
        #expect(outcome.state == .failed)
        #expect(outcome.reason?.contains("more than the budget can ever hold") == true, "\(outcome.reason ?? "")")
        #expect(FileManager.default.fileExists(atPath: folder.file("work/logs/items/a/activity.log")) == false)
        #expect(FileManager.default.fileExists(atPath: folder.file("work/output/a/activity")) == false)
    }

    /// A CSC input is sorted by cell into scratch space under the workspace (`interim/<item>/`),
    /// reserved from the budget before the analysis starts (12 bytes per stored value, plus
    /// 1 MiB) and removed after: when `interim/`'s quota has no room for it the item fails at
    /// once; with room it runs, and nothing is left in `interim/`.
    @Test func aCSCInputsSortIsReservedScratchInTheWorkspace() async throws {
        func run(interim: Int64) async throws -> (RunSummary, TemporaryDirectory) {
            let stages = """
                  - analyze:
                      run: pseudobulk
                      executable: \(try SluiceBinary.path())
                      options: {by: cell_type, min_cells: 1, min_counts: 0}
                """
            let folder = try Fixtures.pipelineFolder("csc.h5ad", interim: interim, stages: stages, label: "sluice-analyze")
            let session = try await PipelineSession(config: try PipelineConfig.load(folder.file("p.yaml"), registry: PipelineStages.registry()))
            return (try await session.run(), folder)
        }
        let (tight, _) = try await run(interim: 500_000)
        #expect(tight.items.first?.state == .failed)
        #expect(tight.items.first?.reason?.contains("more than the budget can ever hold") == true, "\(tight.items.first?.reason ?? "")")

        let (roomy, folder) = try await run(interim: 2_000_000)
        #expect(roomy.items.first?.state == .done, "\(roomy.items.first?.reason ?? "")")
        let log = FoldedLog.section(folder.file("work/logs/pseudobulk.log"), item: "a")
        #expect(log.contains("--scratch \(folder.file("work/interim/a/pseudobulk.scratch"))"), "\(log)")
        let left = FileManager.default.enumerator(atPath: folder.file("work/interim"))?.allObjects ?? []
        #expect(left.isEmpty, "\(left)")
    }
}
