import Foundation
import SluiceEngine
import SluiceLoopback
import SluicePipelines
import SluiceTestSupport
import Testing

/// examples/kallisto end to end, with the real kallisto: reads are served over loopback HTTP,
/// fetched under a budget smaller than all the reads, quantified per sample, merged per species,
/// and deleted. The numbers are checked against the abundances the reads were drawn from.
///
/// kallisto is installed with apt-get when missing; if that fails the test fails (it never skips).
@Suite struct KallistoExampleTests {
    /// The repository root, found from this file's path (Tests/SluiceEngineTests/…).
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    private static var example: String { repository + "/examples/kallisto" }

    @Test func quantifiesEverySampleAndMergesEachSpecies() async throws {
        let kallisto = try await Self.kallisto()
        let folder = try TemporaryDirectory("sluice-kallisto")
        for name in ["data", "ref"] { try FileManager.default.createDirectory(atPath: folder.file(name), withIntermediateDirectories: true) }

        // The manifest needs the server's URL, so the (empty) data folder is served first.
        let server = try await LoopbackServer.start(root: folder.file("data"))
        let outcome: Result<Void, any Error>
        do {
            try await check(folder: folder, server: server, kallisto: kallisto)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await server.shutdown()
        try outcome.get()
    }

    private func check(folder: TemporaryDirectory, server: LoopbackServer, kallisto: String) async throws {
        let data = folder.file("data"), ref = folder.file("ref"), work = folder.file("work")
        try await Self.run("/usr/bin/env", ["python3", Self.example + "/make_data.py", data, server.url("")], what: "make_data.py")
        for species in ["alpha", "beta"] {
            try await Self.run(kallisto, ["index", "-i", "\(ref)/\(species).idx", "\(data)/\(species).fa"], what: "kallisto index")
        }
        try FileManager.default.copyItem(atPath: Self.example + "/merge_abundance.py", toPath: ref + "/merge_abundance.py")
        // The example's own pipeline file: its relative paths (data/, ref/, work/) land in `folder`.
        try FileManager.default.copyItem(atPath: Self.example + "/pipeline.yaml", toPath: folder.file("pipeline.yaml"))

        let samples = try Self.table(data + "/manifest.tsv")
        let truth = try Self.table(data + "/truth.tsv")
        #expect(samples.count == 6)
        let config = try PipelineConfig.load(folder.file("pipeline.yaml"), registry: PipelineStages.registry())
        #expect(config.workspace == work)
        #expect(config.stages.map(\.name) == ["fetch", "quant", "merge", "cleanup"])
        #expect(config.items.allSatisfy { $0.sources.count == 2 && $0.group != nil })
        // The example's point: the reads do not all fit in the budget at once.
        let readBytes = samples.reduce(Int64(0)) { $0 + Int64($1["size"]!)! }
        #expect(config.budget.total < readBytes, "budget \(config.budget.total) B, reads \(readBytes) B")

        let summary = try await PipelineSession(config: config).run()
        #expect(summary.items.count == samples.count)
        for outcome in summary.items {
            #expect(outcome.state == .done, "\(outcome.item): \(outcome.state) in \(outcome.stage ?? "?"): \(outcome.reason ?? "")")
        }

        for sample in samples.map({ $0["name"]! }) {
            let quant = "\(work)/output/\(sample)/quant"
            #expect(FileManager.default.fileExists(atPath: quant + "/abundance.tsv"), "no abundance.tsv for \(sample)")
            #expect(FileManager.default.fileExists(atPath: quant + "/run_info.json"), "no run_info.json for \(sample)")
            let log = FoldedLog.section("\(work)/logs/quant.log", item: sample)
            #expect(log.contains("kallisto quant") && log.contains("paired-end"), "quant log of \(sample): \(log.suffix(300))")
        }

        for species in ["alpha", "beta"] {
            let members = samples.filter { $0["group"] == species }.map { $0["name"]! }
            let path = "\(work)/output/groups/\(species)/merge/merged.tsv"
            let merged = try #require(try? Self.table(path), "no merged matrix for \(species) at \(path)")
            let header = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")[0].split(separator: "\t").map(String.init)
            #expect(header == ["target_id"] + members, "\(species): \(header)")
            let targets = Set(truth.filter { $0["group"] == species }.map { $0["target_id"]! })
            #expect(Set(merged.map { $0["target_id"]! }) == targets)
            #expect(merged.count == targets.count)

            for sample in members { try Self.checkEstimates(merged, column: sample, sample: sample, truth: truth, path: path) }
        }

        // Downloads went as the reads were quantified; only outputs stay.
        let leftovers = (FileManager.default.enumerator(atPath: work)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".fastq.gz") }
        #expect(leftovers.isEmpty, "reads left in the workspace: \(leftovers)")
        let raw = (FileManager.default.enumerator(atPath: work + "/raw")?.allObjects as? [String]) ?? []
        #expect(raw.isEmpty, "raw/ still holds \(raw)")
        for sample in samples.map({ $0["name"]! }) {
            #expect(server.requestCount("/\(sample)_1.fastq.gz") >= 1 && server.requestCount("/\(sample)_2.fastq.gz") >= 1)
        }
    }

    /// The accession-list variant (pipeline-accessions.yaml): the samples come from a loopback
    /// ENA Portal API by study accession, one item per run with both read files and their MD5s,
    /// and the pipeline builds each species' index itself, once, before any of its runs is
    /// quantified (per: group-first); the estimates match the truth as above.
    @Test func quantifiesAStudyByAccessionBuildingEachIndexFirst() async throws {
        _ = try await Self.kallisto()
        let folder = try TemporaryDirectory("sluice-kallisto-ena")
        for name in ["data", "ref"] { try FileManager.default.createDirectory(atPath: folder.file(name), withIntermediateDirectories: true) }
        let server = try await LoopbackServer.start(root: folder.file("data"))
        let outcome: Result<Void, any Error>
        do {
            try await checkAccessions(folder: folder, server: server)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await server.shutdown()
        try outcome.get()
    }

    private func checkAccessions(folder: TemporaryDirectory, server: LoopbackServer) async throws {
        let data = folder.file("data"), work = folder.file("work")
        try await Self.run("/usr/bin/env", ["python3", Self.example + "/make_data.py", data, server.url("")], what: "make_data.py")
        try FileManager.default.copyItem(atPath: Self.example + "/merge_abundance.py", toPath: folder.file("ref/merge_abundance.py"))
        // As run.sh --accessions does: the loopback API's address in place of the example's.
        let yaml = try String(contentsOfFile: Self.example + "/pipeline-accessions.yaml", encoding: .utf8)
        #expect(yaml.contains("http://127.0.0.1:PORT/ena"))
        try yaml.replacingOccurrences(of: "http://127.0.0.1:PORT/ena", with: server.url("ena")).write(
            toFile: folder.file("pipeline.yaml"), atomically: true, encoding: .utf8)
        let report = try JSONDecoder().decode([[String: String]].self, from: Data(contentsOf: URL(fileURLWithPath: data + "/ena/filereport")))
        let sampleOf = Dictionary(uniqueKeysWithValues: report.map { ($0["run_accession"]!, $0["sample_accession"]!) })
        let truth = try Self.table(data + "/truth.tsv")

        let config = try PipelineConfig.load(folder.file("pipeline.yaml"), registry: PipelineStages.registry())
        #expect(config.stages.map(\.name) == ["fetch", "index", "quant", "merge", "cleanup"])
        #expect(config.stages[1].scheduling == .perGroupFirst)
        let summary = try await PipelineSession(config: config).run()
        #expect(summary.items.count == 6)
        for outcome in summary.items {
            #expect(outcome.state == .done, "\(outcome.item): \(outcome.state) in \(outcome.stage ?? "?"): \(outcome.reason ?? "")")
        }
        let ledger = try SQLiteLedger(path: work + "/sluice.db")
        let items = try await ledger.items()
        #expect(Set(items.map(\.name)) == Set(sampleOf.keys) && items.allSatisfy { $0.sources.count == 2 && $0.fileChecksums.allSatisfy { $0 != nil } })
        let tasks = try await ledger.tasks()
        for species in ["alpha", "beta"] {
            let runs = items.filter { $0.group == species }.map(\.name)
            #expect(runs.count == 3)
            // The index was built once, and before any of the species' runs was quantified.
            let index = try #require(tasks.first { $0.item == "group:\(species)" && $0.stage == 1 })
            #expect(index.attempts == 1 && FileManager.default.fileExists(atPath: "\(work)/output/groups/\(species)/index/transcripts.idx"))
            for run in runs {
                let quant = try #require(tasks.first { $0.item == run && $0.stage == 2 })
                #expect(index.finished! <= quant.started!, "\(run) was quantified before the \(species) index was built")
            }
            let path = "\(work)/output/groups/\(species)/merge/merged.tsv"
            let merged = try Self.table(path)
            let header = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")[0].split(separator: "\t").map(String.init)
            #expect(header == ["target_id"] + runs, "\(species): \(header)")
            for run in runs { try Self.checkEstimates(merged, column: run, sample: sampleOf[run]!, truth: truth, path: path) }
        }
        let leftovers = (FileManager.default.enumerator(atPath: work)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".fastq.gz") }
        #expect(leftovers.isEmpty, "reads left in the workspace: \(leftovers)")
    }

    // MARK: Helpers

    /// Checks a merged matrix's column `column` against the pairs each transcript of `sample`
    /// really contributed (truth.tsv).
    private static func checkEstimates(_ merged: [[String: String]], column: String, sample: String, truth: [[String: String]], path: String) throws {
        let known = Dictionary(uniqueKeysWithValues: truth.filter { $0["sample"] == sample }.map { ($0["target_id"]!, Double($0["true_count"]!)!) })
        let estimated = Dictionary(
            uniqueKeysWithValues: try merged.map { row in
                (row["target_id"]!, try #require(row[column].flatMap(Double.init), "\(column) has no count in \(path)"))
            })
        let ranked = estimated.sorted { $0.value > $1.value }
        let top = known.max { $0.value < $1.value }!.key
        // The most abundant transcript is clearly the largest estimate …
        #expect(ranked[0].key == top, "\(sample): kallisto ranks \(ranked[0].key) first, the reads came mostly from \(top)")
        #expect(ranked[0].value > 1.3 * ranked[1].value, "\(sample): \(ranked)")
        // … and every estimate is close to the pairs the transcript really contributed.
        for (target, count) in known {
            let estimate = estimated[target] ?? -1
            #expect(abs(estimate - count) <= 0.05 * count + 5, "\(sample) \(target): estimated \(estimate), truth \(count)")
        }
    }

    /// The kallisto binary, installed with apt-get when missing; a failed install fails the test.
    private static func kallisto() async throws -> String {
        if let found = which("kallisto") { return found }
        let apt = "/usr/bin/apt-get"
        try #require(
            FileManager.default.isExecutableFile(atPath: apt),
            "kallisto is not installed and there is no apt-get to install it: install kallisto (Debian package 'kallisto') and run again")
        var (status, output) = try await launch(apt, ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "kallisto"])
        if status != 0 {
            // Package lists may be missing or stale.
            _ = try await launch(apt, ["-o", "DPkg::Lock::Timeout=600", "update"])
            (status, output) = try await launch(apt, ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "kallisto"])
        }
        try #require(status == 0, "kallisto is not installed and 'apt-get install -y kallisto' failed (status \(status)): \(output.suffix(1500))")
        return try #require(which("kallisto"), "apt-get installed kallisto but it is not on PATH")
    }

    private static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin"]
        return folders.map { $0 + "/" + program }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a program to its end; returns its status and its stdout and stderr together.
    private static func launch(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        try await offThePool { try launchBlocking(executable, arguments) }
    }

    private static func launchBlocking(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DEBIAN_FRONTEND"] = "noninteractive"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Runs a program that must succeed.
    private static func run(_ executable: String, _ arguments: [String], what: String) async throws {
        let (status, output) = try await launch(executable, arguments)
        try #require(status == 0, "\(what) failed (status \(status)): \(output.suffix(1500))")
    }

    /// A tab-separated file with a header, as one dictionary per line.
    private static func table(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }
}
