import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// The first stage: brings each item's sources into `raw/<item>/` — HTTP(S) downloads with
/// Range resume, local files copied, hard-linked or linked in place — and checks the checksum
/// before the item moves on.
public final class FetchStage: ConfigurableStage {
    /// The key of the kind in a pipeline file (`- fetch: {…}`).
    public static let kind = "fetch"
    /// Retries for transient failures (network, timeouts) when the entry gives none.
    public static let defaultRetries = 5

    /// How local files (paths, `file://` URLs) reach `raw/`.
    public enum LocalMode: String, Sendable { case copy, hardLink, inPlace }

    /// The common part of the stage's declaration.
    public let header: StageHeader
    /// `copy: true` copies (default), `copy: link` hard-links, `copy: false` links to the
    /// original and reads it in place (a symbolic link: no bytes held in the workspace).
    public let local: LocalMode
    /// Per-request connection and idle-read timeout, seconds.
    public let timeout: Double
    /// How runs ENA has no FASTQ for (`sra:RUN` sources) are fetched; nil: they fail (`fetch.no-fastq`).
    public let sra: SRAProgram?
    /// The HTTP clients, made on the first download (so that loading a pipeline opens no
    /// connections), each verifying certificates and going through the environment's proxies.
    let clients: HTTPClients

    /// A fetch stage with `local` mode for local files, a `timeout` in seconds per request, the
    /// certificate authorities of `caFile` trusted instead of the system's, and `proxies`.
    public init(
        header: StageHeader, local: LocalMode = .copy, timeout: Double = 60, caFile: String? = nil, proxies: ProxySettings = .none, sra: SRAProgram? = nil
    ) {
        self.header = header
        self.sra = sra
        self.local = local
        self.timeout = timeout
        clients = HTTPClients(timeout: timeout, caFile: caFile, proxies: proxies)
    }

    /// Parses the entry's `copy` (true, `link` or false), `timeout`, `ca_file` and `sra`
    /// (`{argv, reserve}`) options; the proxies come from the environment (``ProxySettings``).
    public convenience init(header: StageHeader, options: StageOptions) throws {
        let keys = try options.keys(known: ["copy", "timeout", "ca_file", "sra"])
        var local = LocalMode.copy
        if let value = keys["copy"] {
            local = try value.string() == "link" ? .hardLink : (try value.bool() ? .copy : .inPlace)
        }
        let caFile = try keys["ca_file"]?.readableFile("ca_file:", absolute: options.absolute)
        let proxies: ProxySettings
        do {
            proxies = try ProxySettings()
        } catch let error as ProxyError {
            throw options.error(.badValue, error.message)
        }
        var sra: SRAProgram?
        if let node = keys["sra"] {
            let entry = try node.mapping(known: ["argv", "reserve"])
            guard let reserve = try entry["reserve"]?.bytes() else {
                throw node.error(.missingKey, "\(node.path) needs 'reserve': the room one run's FASTQ files may fill (several times the SRA file)")
            }
            var program = SRAProgram(reserve: reserve)
            if let argv = entry["argv"] {
                program.argv = try argv.strings()
                guard !program.argv.isEmpty, program.argv.contains(where: { $0.contains("{run}") }), program.argv.contains(where: { $0.contains("{out}") }) else {
                    throw argv.error(.badValue, "\(argv.path) must name the program and use {run} (the run's accession) and {out} (the folder its files go to)")
                }
                if program.argv[0].contains("/") { program.argv[0] = options.absolute(program.argv[0]) }
            }
            sra = program
        }
        self.init(header: header, local: local, timeout: try keys["timeout"]?.seconds() ?? 60, caFile: caFile, proxies: proxies, sra: sra)
    }

    /// Closes the HTTP clients' connections; called once the run is over.
    public func shutdown() async { await clients.shutdown() }

    /// True: the stage brings items into the workspace and must come first.
    public var isSource: Bool { true }
    /// Fetched files go to `raw`.
    public var outputArea: Area? { .raw }
    /// False: the stage reads sources, not an earlier stage's outputs.
    public var consumesInputs: Bool { false }

    /// `raw/<item>`, relative to the workspace root.
    public func outputFolder(item: String, isGroup: Bool) -> String? { "raw/\(item)" }

    /// The item's declared size (0 when unknown).
    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 { item.size ?? 0 }

    /// Fetches each unit's sources into its partial output folder, then checks each file's
    /// checksum; throws `StageError` on a failure or mismatch.
    public func run(_ units: [StageUnit], context: StageContext) async throws {
        for unit in units {
            guard let folder = unit.partialOutput else { continue }
            let names = Self.fileNames(unit.item.sources)
            if let metadata = unit.item.metadata, !metadata.isEmpty {
                // Where the item came from (a catalog's dataset: title, organism, version, …).
                let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                unit.log.log(step: "fetch", "source: " + fields.joined(separator: "; "), metadata)
            }
            var fetched: Int64 = 0
            for (source, name) in zip(unit.item.sources, names) {
                let target = folder + "/" + name
                if source.hasPrefix("sra:") {
                    let run = String(source.dropFirst(4))
                    guard let sra else {
                        throw StageError(
                            code: "fetch.no-fastq",
                            "ENA has no FASTQ files for \(run): give the fetch stage 'sra: {reserve: …}' to fetch it with fasterq-dump (docs/pipeline.md, ENA)")
                    }
                    // What an interrupted attempt's program left is no resumable download: it goes.
                    for leftover in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where !names.contains(leftover) {
                        try FileManager.default.removeItem(atPath: folder + "/" + leftover)
                    }
                    try FileManager.default.createDirectory(atPath: unit.logFolder, withIntermediateDirectories: true)
                    unit.log.log(step: "fetch", "ENA has no FASTQ for \(run): running \(sra.argv[0]) (reserved \(ByteSize.format(sra.reserve)))")
                    fetched += try await sra.fetch(run, into: folder, before: fetched, logFile: unit.logFolder + "/\(self.name).log", context: context)
                    continue
                }
                if let url = URL(string: source), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" {
                    let downloader = HTTPDownload(client: clients.client(for: source), url: source, target: target, timeout: timeout)
                    fetched += try await downloader.run(context: context, before: fetched, log: unit.log)
                } else {
                    let path = source.hasPrefix("file://") ? (URL(string: source)?.path ?? source) : source
                    fetched += try await LocalFetch(path: path, target: target, mode: local).run(context: context, before: fetched)
                }
            }
            for ((source, name), expected) in zip(zip(unit.item.sources, names), unit.item.fileChecksums) {
                if let expected { try Self.verify(folder + "/" + name, expected, source: source) }
            }
        }
    }

    /// The file names sources get in `raw/<item>/`: their last path component made one plain,
    /// visible file name (``DatasetName/component(_:fallback:)``), made distinct.
    static func fileNames(_ sources: [String]) -> [String] {
        var used = Set<String>()
        return sources.map { source in
            let path = URL(string: source)?.path ?? source
            let last = (path.removingPercentEncoding ?? path).split(separator: "/").last.map(String.init) ?? ""
            var base = DatasetName.component(last, fallback: "download")
            if base.hasSuffix(".partial") { base = "download" }
            var name = base
            var suffix = 2
            while used.contains(name) {
                name = "\(suffix)_\(base)"
                suffix += 1
            }
            used.insert(name)
            return name
        }
    }

    static func verify(_ path: String, _ expected: ExpectedChecksum, source: String) throws {
        guard let actual = try Checksum.of(file: path, expected.algorithm) else {
            throw StageError(code: "fetch.read", "cannot read the fetched file \(path)")
        }
        guard actual == expected.hex else {
            try? FileManager.default.removeItem(atPath: path)
            throw StageError(
                code: "fetch.checksum-mismatch",
                "\(source): \(expected.algorithm.rawValue) is \(actual), but the manifest says \(expected.hex) — the file is corrupt or the manifest is wrong")
        }
    }
}
