import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines
import SluiceTestSupport
import Testing

/// The corpus builder inside `sluice run`: its interim files, the spill of decoded counts
/// included, live in scratch space under the workspace that is reserved before it starts.
@Suite("Preprocess stage")
struct PreprocessStageTests {
    /// The scratch reservation holds the token chunks (the stage's output ratio times the input)
    /// and the spill (3 bytes a stored value plus 1 MiB), and the builder is told the spill's
    /// share as `--spill-limit`: when `interim/`'s quota has no room for it the item fails at
    /// once; with room the builder keeps its spill, and nothing is left in `interim/`.
    @Test func theSpillIsReservedScratchInTheWorkspace() async throws {
        let stored = 252  // csr.h5ad's stored values (`sluice inspect`)
        let spill = stored * 3 + (1 << 20)
        func run(interim: Int) async throws -> (SluiceBinary.Outcome, TemporaryDirectory) {
            let folder = try Fixtures.pipelineFolder(
                "csr.h5ad", interim: Int64(interim), stages: "  - preprocess: {chunk_size: 10, top_genes: 8, test_size: 0.2, spill: true}",
                label: "sluice-preprocess")
            return (try await SluiceBinary.run(["run", "p.yaml", "--quiet"], in: folder.path), folder)
        }
        let (tight, _) = try await run(interim: spill - 1)
        #expect(tight.status == 3)
        #expect((tight.standardOutput + tight.standardError).contains("more than the budget can ever hold"), "\(tight)")

        let (roomy, folder) = try await run(interim: spill + 200_000)
        #expect(roomy.status == 0, "\(roomy)")
        let log = FoldedLog.section(folder.file("work/logs/preprocess.log"), item: "a")
        #expect(log.contains("--spill-limit \(spill)"), "\(log)")
        #expect(log.contains("keeping the decoded counts for later passes in \(folder.file("work/interim/a/preprocess.scratch/a/counts.spill"))"))
        #expect(!log.contains("filled the spill"))
        let left = FileManager.default.enumerator(atPath: folder.file("work/interim"))?.allObjects ?? []
        #expect(left.isEmpty, "\(left)")
    }

    /// Without a vocabulary of their own, a run's items share one kept in the ledger: datasets
    /// with overlapping genes, tokenized by two workers' worth of concurrency, give a gene one id
    /// in every item's shards; each item's `vocab.json` holds its genes and every id below them.
    @Test func itemsShareTheRunsVocabulary() async throws {
        let folder = try TemporaryDirectory("sluice-run-vocabulary")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        var genesOf: [String: [String]] = [:]
        for k in 0..<4 {
            let generator = SyntheticCounts(cells: 60, genes: 40, density: 0.3, seed: UInt64(k))
            let ids = (0..<40).map { String(format: "ENSG%011d.%d", 10 * k + $0, k + 1) }
            genesOf["d\(k)"] = ids.map { String($0.prefix(15)) }
            let genes = Frame(index: ids.map { "sym-" + $0 }, columns: [FrameColumn(name: "gene_ids", values: .strings(ids))])
            let writer = try H5ADWriter(path: folder.file("in/d\(k).h5ad"), genes: genes, cellSchema: SyntheticCounts.cellSchema)
            try writer.append(generator.batch(0..<60))
            try writer.close()
        }
        let yaml = """
            workspace: ./work
            budget: {total: 200MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - preprocess: {chunk_size: 25, top_genes: 12, test_size: 0.2, concurrency: 2}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let outcome = try await SluiceBinary.run(["run", "p.yaml", "--quiet"], in: folder.path)
        #expect(outcome.status == 0, "\(outcome)")
        let ledger = try SQLiteLedger(path: folder.file("work/sluice.db"))
        let table = try await ledger.tokens(in: "preprocess")
        #expect(table.map(\.token) == (0..<Int32(table.count)).map { 4 + $0 })
        #expect(Set(table.map(\.name)) == Set(genesOf.values.joined()))
        let idOf = Dictionary(uniqueKeysWithValues: table.map { ($0.name, $0.token) })
        // `sluice vocabulary` prints it as a token dictionary, for --vocabulary.
        let printed = try await SluiceBinary.run(["vocabulary", "p.yaml", "--out", "v.json"], in: folder.path)
        #expect(printed.status == 0, "\(printed)")
        let dictionary = try JSONDecoder().decode([String: Int32].self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("v.json"))))
        #expect(dictionary == idOf.merging(Vocabulary.specialTokenIDs) { a, _ in a })
        let missing = try await SluiceBinary.run(["vocabulary", "p.yaml", "--stage", "tokens"], in: folder.path)
        #expect(missing.status != 0 && missing.standardError.contains("no vocabulary of a stage named tokens"), "\(missing)")
        for (item, genes) in genesOf {
            let vocabulary = try JSONDecoder().decode(Vocabulary.self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("work/output/\(item)/vocab.json"))))
            let tokens = Dictionary(uniqueKeysWithValues: vocabulary.genes.map { ($0.name, $0.token) })
            #expect(genes.allSatisfy { tokens[$0] == idOf[$0] }, "\(item)")
            #expect(vocabulary.genes.map(\.token) == (0..<Int32(vocabulary.genes.count)).map { 4 + $0 }, "\(item): not a prefix of the run's vocabulary")
            let used = Set(try TokenDictionaryTests.tokens(folder.file("work/output/\(item)")).values.joined())
            #expect(!used.isEmpty && used.isSubset(of: Set(genes.compactMap { idOf[$0] })), "\(item)")
        }
    }

    /// `kill -9` the moment a merged digest is committed (before its batch's task completes, as
    /// a rule) and at random moments, restarting each time: the medians equal `merge-digests` of
    /// every dataset digested alone — no item merged twice, none left out.
    @Test func killNineNeverMergesAnItemTwice() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-digest-crash")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        var digests: [String] = []
        for k in 0..<6 {
            try SyntheticCounts(cells: 400, genes: 80, density: 0.2, seed: UInt64(60 + k)).write(to: folder.file("in/d\(k).h5ad"))
            let digest = try await SluiceBinary.run(["preprocess", "digest", "in/d\(k).h5ad", "--digest-out", "d\(k).digest"], in: folder.path)
            #expect(digest.status == 0, "\(digest)")
            digests.append("d\(k).digest")
        }
        let merged = try await SluiceBinary.run(["preprocess", "merge-digests"] + digests + ["--out", "expected.json"], in: folder.path)
        #expect(merged.status == 0, "\(merged)")
        let yaml = """
            workspace: ./work
            budget: {total: 200MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - digest: {name: digest, every: 2}
              - digest: {name: medians, per: all}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let (kills, afterCommit) = try await KillAfterCommits.run(
            sluice, ["run", folder.file("p.yaml"), "--quiet"], watching: folder.file("work/checkpoints/digest/all"), seed: 20_261_208)
        #expect(kills >= 2 && afterCommit >= 1, "\(kills) kills, \(afterCommit) right after a commit: the run ended too soon")
        let final = try await SluiceBinary.run(["run", "p.yaml", "--quiet"], in: folder.path)
        #expect(final.status == 0, "\(final)")
        let medians = try Data(contentsOf: URL(fileURLWithPath: folder.file("work/interim/groups/all/medians/medians.json")))
        #expect(medians == (try Data(contentsOf: URL(fileURLWithPath: folder.file("expected.json")))))
        // One merged digest left, whatever a kill left between a commit and the pruning after it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("work/checkpoints/digest/all")).count == 1)
        print("digest kill -9 test: \(kills) kills, \(afterCommit) right after a merged digest's commit")
    }

    /// `medians: corpus` inside a run: every item is digested, a barrier merges the digests, and
    /// each item is tokenized with the merged medians — under a `raw/` quota that holds two of
    /// the four datasets, so items waiting for the barrier are parked (what they fetched
    /// deleted) and fetched again after it. The merged medians equal `merge-digests` of each
    /// dataset digested alone; every cell's tokens equal `sluice preprocess run-all` of its
    /// dataset alone with the run's final vocabulary and those medians; the report counts the
    /// bytes fetched twice.
    @Test func corpusMediansParkItemsAtTheBarrierAndFetchThemAgain() async throws {
        let folder = try TemporaryDirectory("sluice-corpus-medians")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for k in 0..<4 {
            // A shared core of 80 genes and 40 of each dataset's own, counts of different depths.
            let generator = SyntheticCounts(cells: 300, genes: 120, density: 0.1 + 0.05 * Double(k), seed: UInt64(10 + k))
            let ids = (0..<120).map { String(format: "ENSG%011d.%d", $0 < 80 ? $0 : 100 * (k + 1) + $0, k + 1) }
            let genes = Frame(index: ids.map { "sym-" + $0 }, columns: [FrameColumn(name: "gene_ids", values: .strings(ids))])
            let writer = try H5ADWriter(path: folder.file("in/d\(k).h5ad"), genes: genes, cellSchema: SyntheticCounts.cellSchema)
            try writer.append(generator.batch(0..<300))
            try writer.close()
        }
        let largest = (0..<4).map { DiskUsage.allocation(forLength: DiskUsage.contentBytes(at: folder.file("in/d\($0).h5ad"))) }.max()!
        let yaml = """
            workspace: ./work
            budget: {total: 200MB, areas: {raw: \(2 * largest + 48 * 1024)}}
            items:
              - directory: in
            stages:
              - fetch: {}
              - digest: {name: digest, chunk_size: 64}
              - digest: {name: medians, per: all}
              - preprocess: {name: tokenize, from: fetch, medians: corpus, chunk_size: 64, top_genes: 16, test_size: 0.2}
              - corpus: {}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let outcome = try await SluiceBinary.run(["run", "p.yaml", "--quiet"], in: folder.path)
        #expect(outcome.status == 0, "\(outcome)")

        let ledger = try SQLiteLedger(path: folder.file("work/sluice.db"))
        let parked = try await ledger.events(kind: "parked")
        let refetched = try await ledger.events(kind: "refetched")
        #expect(!parked.isEmpty, "no item was parked: the raw quota held them all")
        #expect(Set(refetched.compactMap(\.item)) == Set(parked.compactMap(\.item)))
        let report = try await RunReport.gather(workspace: Workspace(root: folder.file("work")), ledger: ledger)
        let fetchedTwice = parked.compactMap(\.item).reduce(Int64(0)) { $0 + DiskUsage.contentBytes(at: folder.file("in/\($1).h5ad")) }
        #expect(report.refetched.items == parked.count && report.refetched.bytes == fetchedTwice)
        #expect(report.html().contains("id=\"bytes-fetched-twice\">\(ByteSize.format(fetchedTwice))<"))

        // The medians are the corpus's: each dataset digested alone, merged.
        var digests: [String] = []
        for k in 0..<4 {
            let digest = try await SluiceBinary.run(
                ["preprocess", "digest", "in/d\(k).h5ad", "--digest-out", "d\(k).digest", "--chunk-size", "64"], in: folder.path)
            #expect(digest.status == 0, "\(digest)")
            digests.append("d\(k).digest")
        }
        let merged = try await SluiceBinary.run(["preprocess", "merge-digests"] + digests + ["--out", "medians.json"], in: folder.path)
        #expect(merged.status == 0, "\(merged)")
        let medians = folder.file("work/interim/groups/all/medians/medians.json")
        #expect(try Data(contentsOf: URL(fileURLWithPath: medians)) == Data(contentsOf: URL(fileURLWithPath: folder.file("medians.json"))))

        // Each dataset alone, with the run's final vocabulary and the corpus medians.
        let vocabulary = try await SluiceBinary.run(["vocabulary", "p.yaml", "--stage", "tokenize", "--out", "v.json"], in: folder.path)
        #expect(vocabulary.status == 0, "\(vocabulary)")
        for k in 0..<4 {
            let alone = try await SluiceBinary.run(
                [
                    "preprocess", "run-all", "in/d\(k).h5ad", "--output-dir", "alone", "--interim-dir", "alone-interim", "--log-dir", "alone-logs",
                    "--chunk-size", "64", "--top-genes", "16", "--test-size", "0.2", "--vocabulary", "v.json", "--medians", medians,
                ], in: folder.path)
            #expect(alone.status == 0, "\(alone)")
            let expected = try TokenDictionaryTests.tokens(folder.file("alone/d\(k)"))
            #expect(!expected.isEmpty)
            #expect(try TokenDictionaryTests.tokens(folder.file("work/output/d\(k)")) == expected, "d\(k)")
        }
        // The corpus: the final vocabulary, and every item's shards.
        let corpus = try JSONDecoder().decode(CorpusManifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("work/output/corpus/manifest.json"))))
        #expect(corpus.datasets == ["d0", "d1", "d2", "d3"])
        var rows: [String: Int] = [:]
        for k in 0..<4 {
            let manifest = try JSONDecoder().decode(CorpusManifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("work/output/d\(k)/manifest.json"))))
            for (split, count) in manifest.rows { rows[split, default: 0] += count }
        }
        #expect(corpus.rows == rows && rows["train", default: 0] > 0)
        for shard in corpus.shards.values.joined() {
            #expect(try Checksum.of(file: folder.file("work/output/corpus/" + shard.path)) == shard.sha256)
        }
        let final = try JSONDecoder().decode(Vocabulary.self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("work/output/corpus/vocab.json"))))
        let dictionary = try JSONDecoder().decode([String: Int32].self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("v.json"))))
        #expect(Dictionary(uniqueKeysWithValues: final.genes.map { ($0.name, $0.token) }) == dictionary.filter { !$0.key.hasPrefix("<") })
        #expect(corpus.vocabulary_sha256 == (try Checksum.of(file: folder.file("work/output/corpus/vocab.json"))))
        #expect(corpus.medians_sha256 == (try Checksum.of(file: medians)))

        // One merged digest on disk, holding every item once.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("work/checkpoints/digest/all")).count == 1)

        // What the items fetched is gone; the digests went with the merge.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder.file("work/raw"))) ?? [] == [])
        #expect(!FileManager.default.fileExists(atPath: folder.file("work/interim/d0/digest")))
    }
}
