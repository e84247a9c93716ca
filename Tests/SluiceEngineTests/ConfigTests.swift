import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// A malformed pipeline file gives one clear error, naming the file and line, before anything runs.
@Suite struct ConfigTests {
    private func load(_ yaml: String, files: [String: String] = [:]) throws -> PipelineConfig {
        let folder = try TemporaryDirectory("sluice-config")
        for (name, text) in files { try text.write(toFile: folder.file(name), atomically: true, encoding: .utf8) }
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder.file("in/a.h5ad")))
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        return try PipelineConfig.load(folder.file("p.yaml"), registry: .tests)
    }

    private let valid = """
        workspace: ./work
        budget: {total: 2GB, areas: {raw: 1GiB}}
        items:
          - directory: in
            glob: "*.h5ad"
        stages:
          - fetch: {concurrency: 2}
          - copy: {name: convert, batch: 4, batch_bytes: 10MB}
          - copy: {name: quant, per: group, area: interim, sleep: 2h}
          - cleanup:
        """

    @Test func validPipelineLoadsWithDefaults() throws {
        let config = try load(valid)
        #expect(config.workspace.hasSuffix("/work"))
        #expect(config.budget.total == 2_000_000_000)
        #expect(config.budget.limit(.raw) == 1 << 30)
        #expect(config.budget.limit(.output) == 2_000_000_000)
        #expect(config.items.map(\.name) == ["a"])
        #expect(config.items[0].size == 3)
        #expect(config.stages.map(\.name) == ["fetch", "convert", "quant", "cleanup"])
        #expect(config.stages.map(\.header.kind) == ["fetch", "copy", "copy", "cleanup"])
        #expect(config.stages[0].header.concurrency == 2)
        #expect(config.stages[0].header.retries == 5)
        #expect(config.stages[1].header.retries == 0)
        #expect(config.stages[0].isSource && !config.stages[1].isSource)
        // Each kind parsed its own options; the engine read the header and the scheduling.
        #expect(config.stages[1].scheduling == .batch(count: 4, enough: 10_000_000))
        #expect(config.stages[2].scheduling == .perGroup)
        #expect(config.stages[2].outputArea == .interim)
        #expect((config.stages[2] as? CopyStage)?.sleep == 7200)
        #expect((config.stages[3] as? CleanupStage)?.keep == [.output])
        #expect(config.stages[3].scheduling == .perItem)
    }

    @Test(arguments: [
        ("budget: {total: 2GB, totl: 1}", ConfigError.Code.unknownKey, "unknown key 'totl'"),
        ("budget: {total: lots}", .badValue, "must be a size"),
        ("budget: {total: 2GB, areas: {scratch: 1GB}}", .unknownKey, "unknown key 'scratch'"),
    ])
    func badBudget(line: String, code: ConfigError.Code, words: String) throws {
        let yaml = valid.replacingOccurrences(of: "budget: {total: 2GB, areas: {raw: 1GiB}}", with: line)
        let error = try #require(throws: ConfigError.self) { try load(yaml) }
        #expect(error.code == code)
        #expect(error.description.contains(words))
        #expect(error.description.contains("p.yaml:2"))
    }

    /// `ledger:` puts the ledger elsewhere; a URL with a password in it, or one Sluice cannot
    /// read, stops the run before it starts, naming the line and never echoing the password.
    @Test func theLedgerLocationIsReadAndCheckedWithoutShowingAPassword() throws {
        #expect(try load(valid).ledger == .workspace)
        let local = try load("ledger: sqlite:local/run.db\n" + valid)
        guard case .sqlite(let path) = local.ledger else { Issue.record("\(local.ledger)"); return }
        #expect(path.hasSuffix("/local/run.db") && path.hasPrefix("/"))
        let shared = try load("ledger: postgres://me@db.example:6543/runs?schema=atlas\n" + valid)
        #expect(shared.ledger.description == "postgres://me@db.example:6543/runs?schema=atlas")
        let withPassword = try #require(throws: ConfigError.self) { try load("ledger: postgres://me:s3cret-pw@db.example/runs\n" + valid) }
        #expect(withPassword.description.contains("p.yaml:1:") && withPassword.description.contains("SLUICE_PG_PASSWORD"))
        #expect(!withPassword.description.contains("s3cret-pw"))
        let unknown = try #require(throws: ConfigError.self) { try load("ledger: mysql://me@db/runs\n" + valid) }
        #expect(unknown.description.contains("sqlite:PATH or postgres://"))
        let badSchema = try #require(throws: ConfigError.self) { try load("ledger: postgres://me@db/runs?schema=Bad-Name\n" + valid) }
        #expect(badSchema.description.contains("schema"))
    }

    /// `workers:` asks for a SLURM job array of workers with its resources, passed to `sbatch`
    /// as they are written; a count below one, or a misspelt key, is named with its line.
    @Test func workersOnSlurmAreRead() throws {
        #expect(try load(valid).workers == nil)
        let text = "workers: {slurm: 8, partition: gpu, time: \"2:00:00\", cpus: 4, mem: 16G, options: [--account=lab, \"--gres=gpu:1\"]}\n"
        let workers = try #require(try load(text + valid).workers)
        #expect(workers.count == 8)
        #expect(workers.resources.sbatchOptions == ["--partition=gpu", "--time=2:00:00", "--cpus-per-task=4", "--mem=16G", "--account=lab", "--gres=gpu:1"])
        let none = try #require(throws: ConfigError.self) { try load("workers: {slurm: 0}\n" + valid) }
        #expect(none.description.contains("p.yaml:1"))
        let misspelt = try #require(throws: ConfigError.self) { try load("workers: {slurm: 2, partiton: gpu}\n" + valid) }
        #expect(misspelt.description.contains("partiton"))
    }

    @Test func unknownStageIsNamed() throws {
        let yaml = valid.replacingOccurrences(of: "  - cleanup:", with: "  - cleanupp: {}")
        let error = try #require(throws: ConfigError.self) { try load(yaml) }
        #expect(error.code == .unknownStage)
        #expect(error.description.contains("unknown stage 'cleanupp'"))
        #expect(error.line == 10)
    }

    @Test func unknownStageOptionIsNamed() throws {
        let yaml = valid.replacingOccurrences(of: "{concurrency: 2}", with: "{concurency: 2}")
        let error = try #require(throws: ConfigError.self) { try load(yaml) }
        #expect(error.code == .unknownKey)
        #expect(error.description.contains("unknown key 'concurency' in stages[0].fetch"))
    }

    @Test func missingInputsAreFoundBeforeRunning() throws {
        let missingFolder = valid.replacingOccurrences(of: "directory: in", with: "directory: nowhere")
        #expect(throws: ConfigError.self) { try load(missingFolder) }
        let missingManifest = valid.replacingOccurrences(of: "- directory: in\n    glob: \"*.h5ad\"", with: "- manifest: none.tsv")
        let error = try #require(throws: ConfigError.self) { try load(missingManifest) }
        #expect(error.code == .missingFile)
        #expect(error.description.contains("none.tsv does not exist"))
    }

    @Test func kindOptionsAreCheckedByTheKind() throws {
        let yaml = valid.replacingOccurrences(of: "sleep: 2h", with: "sleep: soon")
        let error = try #require(throws: ConfigError.self) { try load(yaml) }
        #expect(error.description.contains("stages[2].copy.sleep must be a duration"))
        #expect(error.line == 9)
        let unknown = valid.replacingOccurrences(of: "per: group", with: "per: group, colour: red")
        let named = try #require(throws: ConfigError.self) { try load(unknown) }
        // The list of known keys names the header's and the kind's.
        #expect(named.description.contains("unknown key 'colour' in stages[2].copy (known keys: name, concurrency, retries, from, per,"))
    }

    @Test func registriesAreValues() throws {
        // Without the tests' kind, the same file names an unknown stage and lists the known ones.
        let folder = try TemporaryDirectory("sluice-config")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: folder.file("in/a.h5ad")))
        try valid.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigError.self) { try PipelineConfig.load(folder.file("p.yaml"), registry: .engine) }
        #expect(error.code == .unknownStage)
        #expect(error.description.contains("unknown stage 'copy' (known stages: cleanup, fetch)"))
    }

    @Test func fetchMustComeFirst() throws {
        let yaml = valid.replacingOccurrences(of: "  - fetch: {concurrency: 2}\n", with: "")
        let error = try #require(throws: ConfigError.self) { try load(yaml) }
        #expect(error.description.contains("first stage must be 'fetch'"))
    }

    @Test func manifestColumnsAreRead() throws {
        let manifest = "name\turl\tsize\tsha256\tgroup\nx one\thttp://h/x.h5ad\t2MB\t\(String(repeating: "ab", count: 32))\thuman\ny\tin/a.h5ad;in/b.h5ad\t\t\tmouse\n"
        let yaml = valid.replacingOccurrences(of: "- directory: in\n    glob: \"*.h5ad\"", with: "- manifest: m.tsv")
        let config = try load(yaml, files: ["m.tsv": manifest])
        #expect(config.items.map(\.name) == ["x_one", "y"])
        #expect(config.items[0].size == 2_000_000)
        #expect(config.items[0].checksum?.algorithm == .sha256)
        #expect(config.items[0].group == "human")
        #expect(config.items[1].sources.count == 2)
        #expect(config.items[1].sources[0].hasPrefix("/"))
        // Several files: one digest per url, `;`-separated, `-` for none; a count that differs is refused.
        let (a, b) = (String(repeating: "ab", count: 16), String(repeating: "cd", count: 16))
        let paired = try load(yaml, files: ["m.tsv": "name\turl\tmd5\np\thttp://h/1.fq.gz;http://h/2.fq.gz\t\(a);\(b)\nq\thttp://h/3;http://h/4\t-;\(b)\n"])
        #expect(paired.items[0].fileChecksums == [ExpectedChecksum(.md5, a), ExpectedChecksum(.md5, b)] && paired.items[0].checksum == nil)
        #expect(paired.items[1].fileChecksums == [nil, ExpectedChecksum(.md5, b)])
        let short = try #require(throws: ConfigError.self) { try load(yaml, files: ["m.tsv": "name\turl\tmd5\np\thttp://h/1;http://h/2\t\(a)\n"]) }
        #expect(short.description.contains("1 md5 digest(s) for 2 file(s)"), "\(short)")
        // Other columns travel with their items; a column one letter off a known one is a typo.
        let extra = try load(yaml, files: ["m.tsv": "name\turl\tcolour\tpages\nx\thttp://h/x\tred\t12\ny\thttp://h/y\t\t\n"])
        #expect(extra.items[0].metadata == ["colour": "red", "pages": "12"])
        #expect(extra.items[1].metadata == nil)
        for (typo, meant) in [("szie", "size"), ("sha265", "sha256"), ("groups", "group"), ("nme", "name")] {
            let bad = try #require(throws: ConfigError.self) {
                try load(yaml, files: ["m.tsv": "name\turl\t\(typo)\nx\thttp://h/x\t1\n"])
            }
            #expect(bad.description.contains("manifest column '\(typo)': did you mean '\(meant)'?"), "\(bad)")
        }
    }

    /// `node:` names each worker's node-local scratch: relative to the pipeline file, or through
    /// an environment variable that each worker expands in its own environment; a stage that
    /// reads many items' files at once must not read what scratch keeps on one node.
    @Test func nodeLocalScratchIsReadAndChecked() throws {
        let base = valid.replacingOccurrences(of: "  - copy: {name: quant, per: group, area: interim, sleep: 2h}\n", with: "")
        let relative = try load(base + "\nnode: {scratch: ./node, budget: 20GB}\n")
        #expect(relative.node?.budget == 20_000_000_000)
        #expect(try relative.node?.folder().hasSuffix("/node") == true)
        #expect(try relative.node?.folder().hasPrefix("/") == true)
        let variable = try #require(try load(base + "\nnode: {scratch: \"${SCRATCH_ROOT}/sluice\", budget: 1GB}\n").node)
        #expect(try variable.folder(environment: ["SCRATCH_ROOT": "/local/alice"]) == "/local/alice/sluice")
        let unset = try #require(throws: WorkspaceError.self) { try variable.folder(environment: [:]) }
        #expect(unset.message.contains("names $SCRATCH_ROOT, which is not set"))
        let grouped = try #require(throws: ConfigError.self) {
            try load(valid.replacingOccurrences(of: "area: interim, ", with: "area: interim, from: fetch, ") + "\nnode: {scratch: /tmp/x, budget: 1GB}\n")
        }
        #expect(grouped.description.contains("stage 'quant' reads the raw/ files of many items"), "\(grouped)")
    }

    @Test func sizesAndDurations() {
        #expect(ByteSize.parse("550GB") == 550_000_000_000)
        #expect(ByteSize.parse("1.5 GiB") == 1_610_612_736)
        #expect(ByteSize.parse("4096") == 4096)
        #expect(ByteSize.parse("12 parsecs") == nil)
        #expect(DurationText.parse("2h") == 7200)
        #expect(DurationText.parse("1h30m") == 5400)
        #expect(DurationText.parse("250ms") == 0.25)
        #expect(DurationText.parse("soon") == nil)
    }
}
