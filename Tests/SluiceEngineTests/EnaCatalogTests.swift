import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// `ena:` items, resolved through a loopback ENA Portal API file report, page by page: one item
/// per run with all its FASTQ files (paired reads), their sizes summed and each file's MD5
/// checked when fetched over HTTPS; the organism is the group; a run without FASTQ fails alone,
/// pointing to fasterq-dump.
@Suite struct EnaCatalogTests {
    @Test func studiesResolveToRunsWithEveryFileAndItsChecksum() async throws {
        let folder = try TemporaryDirectory("sluice-ena")
        let certificates = try await TestCertificates.make(in: folder.file("certs"))
        try FileManager.default.createDirectory(atPath: folder.file("served/vol1"), withIntermediateDirectories: true)
        var files: [String: Data] = [:]
        for (index, name) in ["SRR1_1.fastq.gz", "SRR1_2.fastq.gz", "SRR2.fastq.gz", "SRR3.fastq.gz"].enumerated() {
            files[name] = PipelineHarness.bytes(40_000 + 10_000 * index, seed: UInt8(index + 1))
            try files[name]!.write(to: URL(fileURLWithPath: folder.file("served/vol1/" + name)))
        }
        let server = try await LoopbackServer.start(root: folder.file("served"), tls: (certificates.certificate, certificates.key))
        // As ENA gives them: FTP-server paths without a scheme, `;` between a run's files.
        func path(_ name: String) -> String { "localhost:\(server.port)/vol1/" + name }
        func md5(_ name: String) -> String { (try? Checksum.of(file: folder.file("served/vol1/" + name), .md5)) ?? "" }
        func bytes(_ name: String) -> String { String(files[name]!.count) }
        let human = ["study_accession": "PRJ1", "scientific_name": "Homo sapiens", "tax_id": "9606", "library_layout": "PAIRED"]
        let rows: [[String: String]] = [
            human.merging([
                "run_accession": "SRR1", "sample_accession": "SAM1", "fastq_ftp": path("SRR1_1.fastq.gz") + ";" + path("SRR1_2.fastq.gz"),
                "fastq_bytes": bytes("SRR1_1.fastq.gz") + ";" + bytes("SRR1_2.fastq.gz"), "fastq_md5": md5("SRR1_1.fastq.gz") + ";" + md5("SRR1_2.fastq.gz"),
            ]) { $1 },
            human.merging([
                "run_accession": "SRR2", "sample_accession": "SAM2", "fastq_ftp": path("SRR2.fastq.gz"), "fastq_bytes": bytes("SRR2.fastq.gz"), "fastq_md5": md5("SRR2.fastq.gz"),
                "library_layout": "SINGLE",
            ]) { $1 },
            // A wrong MD5, and a run ENA has no FASTQ for.
            [
                "study_accession": "PRJ2", "run_accession": "SRR3", "scientific_name": "Mus musculus", "fastq_ftp": path("SRR3.fastq.gz"), "fastq_bytes": bytes("SRR3.fastq.gz"),
                "fastq_md5": md5("SRR1_1.fastq.gz"),
            ],
            ["study_accession": "PRJ2", "run_accession": "SRR4", "scientific_name": "Mus musculus", "fastq_ftp": "", "fastq_bytes": "", "fastq_md5": ""],
        ]
        let portal = try await EnaPortalServer.start(rows: rows, busy: 2)
        let yaml = """
            workspace: ./work
            budget: {total: 20MB}
            items:
              - ena: {api: "\(portal.base)", accessions: [PRJ1, PRJ2]}
            stages:
              - fetch: {ca_file: certs/ca.pem, retries: 0}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        var config = try PipelineConfig.load(folder.file("p.yaml"), registry: .engine)
        var catalog = try #require(config.catalogs.first?.catalog as? EnaCatalog)
        catalog.page = 1
        config.catalogs[0].catalog = catalog
        let items = try await ItemResolver(ledger: nil).resolve(config).items
        #expect(items.map(\.name) == ["SRR1", "SRR2", "SRR3", "SRR4"])
        let paired = items[0]
        #expect(paired.sources == ["https://" + path("SRR1_1.fastq.gz"), "https://" + path("SRR1_2.fastq.gz")])
        #expect(paired.size == Int64(files["SRR1_1.fastq.gz"]!.count + files["SRR1_2.fastq.gz"]!.count))
        #expect(paired.fileChecksums == [ExpectedChecksum(.md5, md5("SRR1_1.fastq.gz")), ExpectedChecksum(.md5, md5("SRR1_2.fastq.gz"))])
        #expect(paired.group == "Homo_sapiens" && items[2].group == "Mus_musculus")
        #expect(paired.metadata?["sample_accession"] == "SAM1" && paired.metadata?["library_layout"] == "PAIRED" && paired.metadata?["fastq_ftp"] == nil)
        #expect(items[3].sources == ["sra:SRR4"] && items[3].metadata?["fastq"] == "none")
        // One run per page: each study's pages until a short one (204 with no content).
        let asked = portal.requests.dropFirst(2)
        #expect(asked.count == 6, "\(asked)")
        #expect(asked.contains { $0.contains("accession=PRJ1") && $0.contains("offset=1") && $0.contains("limit=1") && $0.contains("result=read_run") })
        // An accession with no runs is one sentence.
        try yaml.replacingOccurrences(of: "[PRJ1, PRJ2]", with: "[PRJ9]").write(toFile: folder.file("missing.yaml"), atomically: true, encoding: .utf8)
        let missing = try PipelineConfig.load(folder.file("missing.yaml"), registry: .engine)
        do {
            _ = try await ItemResolver(ledger: nil).resolve(missing)
            Issue.record("an accession without runs resolved")
        } catch let error as CatalogError {
            #expect(error.code == .notFound && error.message.contains("no sequencing runs for PRJ9"), "\(error)")
        }

        // The run: files verified one by one; the wrong MD5 and the run without FASTQ fail alone.
        let summary = try await PipelineSession(config: try PipelineConfig.load(folder.file("p.yaml"), registry: .engine)).run()
        let outcome = Dictionary(uniqueKeysWithValues: summary.items.map { ($0.item, $0) })
        #expect(outcome["SRR1"]?.state == .done && outcome["SRR2"]?.state == .done, "\(summary.items)")
        #expect(FileManager.default.contents(atPath: folder.file("work/raw/SRR1/SRR1_2.fastq.gz")) == files["SRR1_2.fastq.gz"])
        #expect(outcome["SRR3"]?.state == .failed && outcome["SRR3"]?.reason?.contains("md5") == true, "\(outcome["SRR3"]?.reason ?? "")")
        #expect(outcome["SRR4"]?.state == .failed && outcome["SRR4"]?.reason?.contains("fasterq-dump") == true, "\(outcome["SRR4"]?.reason ?? "")")
        await portal.stop()
        try await server.shutdown()
    }
}
