import Foundation
import SluiceEngine
import SluiceLoopback
import SluicePipelines
import SluiceTestSupport
import Synchronization
import Testing

/// examples/ocr end to end on this machine's SLURM: forty PDFs of known text (Ghostscript, a
/// few hundred pages) served over loopback HTTP, fetched under a disk budget, sent in batches of
/// at least 40 pages to SLURM jobs that run pdftoppm and tesseract, each document's JSON stored
/// in the ledger's `ingested` table with its task's completion, and the PDFs deleted. The text
/// read back must match the text written, word for word, at least 95 %. Once on one node (the
/// SQLite ledger, 50 documents), once as on a cluster (PostgreSQL, where the text lands in the same
/// database; 20 documents). One at a time: OCR keeps both of this machine's cores busy.
@Suite(.serialized, .enabled(if: SlurmTestCluster.runs && GeneratedPDF.runs && PostgresTestServer.runs, "skipped: no SLURM, PostgreSQL or Ghostscript"))
struct OCRExampleTests {
    enum LedgerKind: String, CaseIterable, Sendable {
        case sqlite, postgres

        /// Documents made (2 to 8 pages each): about 230 pages on one node, 90 on PostgreSQL.
        var documents: Int { self == .sqlite ? 50 : 20 }
    }

    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    private static var example: String { repository + "/examples/ocr" }

    @Test(arguments: LedgerKind.allCases) func pdfsAreReadAndTheirTextStoredOnce(ledger kind: LedgerKind) async throws {
        let folder = try TemporaryDirectory("sluice-ocr")
        for name in ["data", "ref"] { try FileManager.default.createDirectory(atPath: folder.file(name), withIntermediateDirectories: true) }
        let server = try await LoopbackServer.start(root: folder.file("data"))
        let outcome: Result<Void, any Error>
        do {
            try await check(folder: folder, server: server, kind: kind)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await server.shutdown()
        try outcome.get()
    }

    private func check(folder: TemporaryDirectory, server: LoopbackServer, kind: LedgerKind) async throws {
        let data = folder.file("data"), work = folder.file("work")
        let made = try await offThePool { runAndWait(["python3", Self.example + "/make_pdfs.py", data, server.url(""), "\(kind.documents)"]) }
        try #require(made.status == 0, "make_pdfs.py exited with status \(made.status)")
        try FileManager.default.copyItem(atPath: Self.example + "/ocr_batch.py", toPath: folder.file("ref/ocr_batch.py"))
        var pipeline = try String(contentsOfFile: Self.example + "/pipeline.yaml", encoding: .utf8)
        var postgres: PostgresLocation?
        if kind == .postgres {
            // The cluster variant: the example's own file with a `ledger:` line, as its comment says.
            let location = try PostgresTestServer.location(schema: "ocr_" + UUID().uuidString.prefix(8).lowercased())
            let password = try #require(PostgresTestServer.url.flatMap { URLComponents(string: $0)?.password })
            setenv("SLUICE_PG_PASSWORD", password, 1)
            pipeline = "ledger: \(location)\n" + pipeline
            postgres = location
        }
        try pipeline.write(toFile: folder.file("pipeline.yaml"), atomically: true, encoding: .utf8)
        let truth = try Self.truth(data + "/truth.tsv")
        let totalPages = truth.values.reduce(0) { $0 + $1.pages }
        #expect(truth.count == kind.documents && totalPages >= kind.documents * 4, "\(totalPages) pages")

        let config = try PipelineConfig.load(folder.file("pipeline.yaml"), registry: PipelineStages.registry())
        #expect(config.stages.map(\.name) == ["fetch", "ocr", "store", "cleanup"])
        // The budget is sampled with `du` from a thread of its own while the run goes on.
        let stop = Atomic(false)
        let peak = Atomic<Int64>(0)
        let sampler = Thread {
            while !stop.load(ordering: .relaxed) {
                let used = DuMeasure.measure(work).bytes
                if used > peak.load(ordering: .relaxed) { peak.store(used, ordering: .relaxed) }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        sampler.start()
        let summary = try await PipelineSession(config: config).run()
        stop.store(true, ordering: .relaxed)
        for outcome in summary.items {
            #expect(outcome.state == .done, "\(outcome.item): \(outcome.state) in \(outcome.stage ?? "?"): \(outcome.reason ?? "")")
        }
        #expect(peak.load(ordering: .relaxed) <= config.budget.total, "the workspace held \(peak.load(ordering: .relaxed)) bytes, more than its budget")

        // Each document's text is in the ledger's database, once, with its pages.
        let ledger: any Ledger
        if let postgres { ledger = try await PostgresLedger(location: postgres) } else { ledger = try SQLiteLedger(path: work + "/sluice.db") }
        let records = try await ledger.ingested(collection: "documents")
        #expect(records.count == truth.count)
        #expect(Set(records.map(\.name)).count == records.count)
        var matched = 0
        var written = 0
        for record in records {
            let document = try JSONDecoder().decode(Document.self, from: Data(record.content.utf8))
            let known = try #require(truth[document.document], "\(record.name) is no document of the data")
            #expect(record.item == document.document + ".pdf")
            #expect(document.pages == known.pages, "\(document.document): \(document.pages) pages read, \(known.pages) written")
            let (hits, words) = Self.wordMatches(read: document.text, written: known.text)
            matched += hits
            written += words
        }
        let accuracy = Double(matched) / Double(max(1, written))
        #expect(accuracy >= 0.95, "word accuracy \(accuracy) over \(written) words")
        print("OCR example (\(kind.rawValue)): \(records.count) documents, \(totalPages) pages, word accuracy \(String(format: "%.4f", accuracy)) over \(written) words")

        // Batches went to SLURM by pages: fewer jobs than documents, each logged in the ledger.
        let submitted = try await ledger.events(after: 0, limit: 100_000).filter { $0.kind == "slurm-submitted" }
        #expect(submitted.count >= 2 && submitted.count < truth.count, "\(submitted.count) jobs")
        // The PDFs and the JSON files are gone; nothing is left but the ledger and logs.
        for area in ["raw", "interim", "output"] {
            let left = (FileManager.default.enumerator(atPath: work + "/" + area)?.allObjects as? [String] ?? []).filter { !$0.hasSuffix("/") }
            #expect(left.allSatisfy { !$0.hasSuffix(".pdf") && !$0.hasSuffix(".json") }, "\(area) still holds \(left)")
        }
        if let ledger = ledger as? PostgresLedger {
            try await ledger.dropSchema()
            await ledger.close()
        }
    }

    /// What the job writes for a document.
    private struct Document: Decodable {
        var document: String
        var pages: Int
        var text: String
    }

    /// Words of `written` found in `read` (each as often as it occurs in both), and the words written.
    static func wordMatches(read: String, written: String) -> (Int, Int) {
        func words(_ text: String) -> [String: Int] {
            var counts: [String: Int] = [:]
            for word in text.lowercased().split(whereSeparator: { !$0.isLetter }) { counts[String(word), default: 0] += 1 }
            return counts
        }
        let found = words(read)
        let known = words(written)
        return (known.reduce(0) { $0 + min($1.value, found[$1.key] ?? 0) }, known.values.reduce(0, +))
    }

    /// document → (pages, text), from make_pdfs.py's truth.tsv.
    private static func truth(_ path: String) throws -> [String: (pages: Int, text: String)] {
        var truth: [String: (pages: Int, text: String)] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: "\t", maxSplits: 2).map(String.init)
            truth[fields[0]] = (Int(fields[1]) ?? 0, fields[2])
        }
        return truth
    }
}
