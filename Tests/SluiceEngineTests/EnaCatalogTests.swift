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

    /// A run ENA has no FASTQ for is fetched by the fetch stage's `sra` program (fasterq-dump;
    /// here a stand-in that writes what fasterq-dump writes, since SRA is out of reach in tests)
    /// with the run's accession and the item's folder, under the room `reserve` holds: a program
    /// that fails or fills more fails its item alone, in one sentence.
    @Test func runsWithoutFastqAreFetchedWithTheSRAProgram() async throws {
        let folder = try TemporaryDirectory("sluice-sra")
        let script = folder.file("fake-fasterq-dump")
        try """
        #!/bin/sh
        # As fasterq-dump --split-files --outdir OUT RUN: RUN_1.fastq and RUN_2.fastq in OUT.
        out="$3"; run="$4"
        case "$run" in
          SRR5) echo "err: item not found while constructing within virtual database module - '$run'" >&2; exit 3 ;;
          SRR6) head -c 400000 /dev/zero > "$out/${run}.fastq"; sleep 2; exit 0 ;;
          *) printf '@%s.1\nACGT\n+\nIIII\n' "$run" > "$out/${run}_1.fastq"; printf '@%s.1\nTGCA\n+\nIIII\n' "$run" > "$out/${run}_2.fastq" ;;
        esac
        """.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let rows = ["SRR4", "SRR5", "SRR6"].map { ["study_accession": "PRJ2", "run_accession": $0, "scientific_name": "Mus musculus", "fastq_ftp": "", "fastq_bytes": "", "fastq_md5": ""] }
        let portal = try await EnaPortalServer.start(rows: rows, busy: 0)
        let yaml = """
            workspace: ./work
            budget: {total: 20MB}
            items:
              - ena: {api: "\(portal.base)", accessions: [PRJ2]}
            stages:
              - fetch: {retries: 0, sra: {argv: [./fake-fasterq-dump, --split-files, --outdir, "{out}", "{run}"], reserve: 200kB}}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let config = try PipelineConfig.load(folder.file("p.yaml"), registry: .engine)
        let fetch = try #require(config.stages.first as? FetchStage)
        #expect(fetch.sra?.reserve == 200_000 && fetch.sra?.argv.first == script)
        let summary = try await PipelineSession(config: config).run()
        let outcome = Dictionary(uniqueKeysWithValues: summary.items.map { ($0.item, $0) })
        #expect(outcome["SRR4"]?.state == .done, "\(summary.items)")
        let fastq = try String(contentsOfFile: folder.file("work/raw/SRR4/SRR4_2.fastq"), encoding: .utf8)
        #expect(fastq == "@SRR4.1\nTGCA\n+\nIIII\n")
        #expect(outcome["SRR5"]?.state == .failed && outcome["SRR5"]?.reason?.contains("status 3") == true, "\(outcome["SRR5"]?.reason ?? "")")
        #expect(outcome["SRR5"]?.reason?.contains("virtual database") == true, "\(outcome["SRR5"]?.reason ?? "")")
        #expect(outcome["SRR6"]?.state == .failed && outcome["SRR6"]?.reason?.contains("more than the 200") == true, "\(outcome["SRR6"]?.reason ?? "")")
        #expect(!FileManager.default.fileExists(atPath: folder.file("work/raw/SRR6")))
        // Without `sra`, such a run fails at once, saying what to add.
        try yaml.replacingOccurrences(of: ", sra: {argv: [./fake-fasterq-dump, --split-files, --outdir, \"{out}\", \"{run}\"], reserve: 200kB}", with: "")
            .replacingOccurrences(of: "./work", with: "./plain").write(toFile: folder.file("plain.yaml"), atomically: true, encoding: .utf8)
        let plain = try await PipelineSession(config: try PipelineConfig.load(folder.file("plain.yaml"), registry: .engine)).run()
        #expect(plain.items.allSatisfy { $0.state == .failed && $0.reason?.contains("sra: {reserve") == true }, "\(plain.items)")
        await portal.stop()
    }
}
