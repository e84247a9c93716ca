import Foundation
import SluiceEngine
import SluiceFormats

/// `manifest.json` beside a dataset's shards (and, with `--batch-mode`, beside the corpus's
/// datasets): every shard with its rows, bytes and SHA-256, per split, and the checksums of the
/// vocabulary and medians the tokens were made with — what a trainer or a mirror checks before
/// it loads anything.
public struct CorpusManifest: Sendable, Codable, Hashable {
    public struct Shard: Sendable, Codable, Hashable {
        /// Relative to the manifest's folder.
        public var path: String
        public var rows: Int
        public var bytes: Int64
        public var sha256: String
    }

    /// The dataset, or nil for a corpus's manifest.
    public var dataset: String?
    /// The datasets of a corpus's manifest.
    public var datasets: [String]?
    /// What the pipeline knows of the dataset (a catalog's metadata: title, organism, tissue,
    /// disease, assay, cell count, version; a manifest's extra columns); nil when nothing.
    public var source: [String: String]?
    /// The corpus's datasets' `source`, by dataset; nil when none has one.
    public var sources: [String: [String: String]]?
    public var vocabulary_sha256: String
    /// The median table's SHA-256; nil: each dataset's own medians.
    public var medians_sha256: String?
    public var preset: String?
    /// Rows and bytes of each split (`train`, `test`).
    public var rows: [String: Int]
    public var bytes: [String: Int64]
    public var shards: [String: [Shard]]

    /// The manifest of the shards under `folder` (`<split>/chunks/*.parquet`, `<split>` in `splits`).
    static func shards(in folder: String, prefix: String = "") throws -> [String: [Shard]] {
        var shards: [String: [Shard]] = [:]
        for split in ["train", "test"] {
            let chunks = folder + "/\(split)/chunks"
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: chunks)) ?? []).filter { $0.hasSuffix(".parquet") }.sorted()
            shards[split] = try names.map { name in
                let path = chunks + "/" + name
                return Shard(
                    path: prefix + "\(split)/chunks/\(name)", rows: try ParquetReader(path: path).rowCount, bytes: DiskUsage.contentBytes(at: path),
                    sha256: try Checksum.of(file: path) ?? "")
            }
        }
        return shards
    }

    init(dataset: String?, datasets: [String]?, vocabulary: String, medians: String?, preset: String?, shards: [String: [Shard]]) {
        self.dataset = dataset
        self.datasets = datasets
        vocabulary_sha256 = vocabulary
        medians_sha256 = medians
        self.preset = preset
        self.shards = shards
        rows = shards.mapValues { $0.reduce(0) { $0 + $1.rows } }
        bytes = shards.mapValues { $0.reduce(0) { $0 + $1.bytes } }
    }

    /// The manifest as pretty, key-sorted JSON (the same bytes for the same shards).
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
