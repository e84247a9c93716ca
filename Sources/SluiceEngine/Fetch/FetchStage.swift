import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// The first stage: brings each item's sources into `raw/<item>/` — HTTP(S) downloads with
/// Range resume, local files copied, hard-linked or linked in place — and checks the checksum
/// before the item moves on.
public final class FetchStage: Stage {
    public let spec: StageSpec
    private let client: HTTPClient

    public init(spec: StageSpec) {
        self.spec = spec
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(Int64(max(1, spec.fetch.timeout))), read: .seconds(Int64(max(1, spec.fetch.timeout))))
        configuration.redirectConfiguration = .follow(max: 10, allowCycles: false)
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes the HTTP client's connections; call once the run is over.
    public func shutdown() async {
        try? await client.shutdown()
    }

    public var outputArea: Area? { .raw }
    public var consumesInputs: Bool { false }

    public func outputFolder(item: String, isGroup: Bool) -> String? { "raw/\(item)" }

    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 { item.size ?? 0 }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        for unit in units {
            guard let folder = unit.partialOutput else { continue }
            let names = Self.fileNames(unit.item.sources)
            var fetched: Int64 = 0
            for (source, name) in zip(unit.item.sources, names) {
                let target = folder + "/" + name
                if let url = URL(string: source), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" {
                    let downloader = HTTPDownload(client: client, url: source, target: target, timeout: spec.fetch.timeout)
                    fetched += try await downloader.run(context: context, before: fetched, log: unit.log)
                } else {
                    let path = source.hasPrefix("file://") ? (URL(string: source)?.path ?? source) : source
                    fetched += try await LocalFetch(path: path, target: target, mode: spec.fetch.local).run(context: context, before: fetched)
                }
            }
            if let expected = unit.item.checksum {
                guard unit.item.sources.count == 1 else {
                    throw StageError(code: "fetch.checksum", "a checksum applies to one file, but \(unit.item.name) has \(unit.item.sources.count) sources")
                }
                try Self.verify(folder + "/" + names[0], expected, source: unit.item.sources[0])
            }
            unit.log.log(step: spec.name, "fetched \(ByteSize.format(fetched)) from \(unit.item.sources.count) source(s)")
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
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StageError(code: "fetch.read", "cannot read the fetched file \(path)")
        }
        defer { try? handle.close() }
        var sha = Crypto.SHA256()
        var md5 = Insecure.MD5()
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            if expected.algorithm == .sha256 { sha.update(data: block) } else { md5.update(data: block) }
        }
        let actual = expected.algorithm == .sha256
            ? sha.finalize().map { String(format: "%02x", $0) }.joined()
            : md5.finalize().map { String(format: "%02x", $0) }.joined()
        guard actual == expected.hex else {
            try? FileManager.default.removeItem(atPath: path)
            throw StageError(code: "fetch.checksum-mismatch",
                             "\(source): \(expected.algorithm.rawValue) is \(actual), but the manifest says \(expected.hex) — the file is corrupt or the manifest is wrong")
        }
    }
}
