import Foundation
import SluiceFormats

/// The `README.md` a published dataset gets: YAML front matter the Hub and `datasets` read —
/// licence, the train/test `data_files`, the features (from the first shard's Parquet schema)
/// and each split's row count — then what the dataset is and where it came from (a corpus
/// manifest's `source`: a catalog's title, organism, tissue, …).
///
/// Splits are the Parquet files under a `train/` or `test/` folder (a corpus's layout); a folder
/// with Parquet files in neither has one `train` split of all of them.
struct DatasetCard: Sendable {
    /// One split: its name, the data files' patterns (relative to the repository), rows.
    struct Split: Sendable {
        var name: String
        var patterns: [String]
        var rows: Int
    }

    /// The dataset, as the card's title names it.
    var dataset: String
    var license: String
    var splits: [Split]
    /// Name and `datasets` type (`dtype: int32`, `sequence: int32`) of each column.
    var features: [(name: String, type: String)]
    /// What the pipeline knows of the dataset's source.
    var source: [String: String]
    /// The vocabulary's SHA-256, from the corpus manifest.
    var vocabulary: String?

    /// The card for the files `paths` (relative to `folder`) stored under `prefix` in the
    /// repository (empty, or a folder ending in `/`).
    init(dataset: String, folder: String, paths: [String], prefix: String, license: String) {
        self.dataset = dataset
        self.license = license
        let manifest = (try? Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))).flatMap { try? JSONDecoder().decode(Manifest.self, from: $0) }
        source = manifest?.source ?? [:]
        // The vocabulary is named only where it travels with the shards.
        vocabulary = paths.contains("vocab.json") ? manifest?.vocabulary_sha256 : nil
        let parquet = paths.filter { $0.hasSuffix(".parquet") }.sorted()
        var bySplit: [String: [String]] = [:]
        for path in parquet {
            let first = path.split(separator: "/").first.map(String.init) ?? ""
            bySplit[["train", "test"].contains(first) ? first : "train", default: []].append(path)
        }
        if bySplit.keys.contains("test"), parquet.contains(where: { !$0.hasPrefix("train/") && !$0.hasPrefix("test/") }) {
            // Files outside the split folders beside them would be silently left out: fold them into train.
            bySplit["train", default: []].append(contentsOf: parquet.filter { !$0.hasPrefix("train/") && !$0.hasPrefix("test/") })
        }
        splits = ["train", "test"].compactMap { name in
            guard let files = bySplit[name], !files.isEmpty else { return nil }
            let rows = files.reduce(0) { $0 + ((try? ParquetReader(path: folder + "/" + $1).rowCount) ?? 0) }
            return Split(name: name, patterns: Self.patterns(for: files).map { prefix + $0 }, rows: rows)
        }
        features =
            parquet.first.flatMap { try? ParquetReader(path: folder + "/" + $0).schema.columns }.map { columns in
                columns.map { ($0.name, ($0.isList ? "sequence: " : "dtype: ") + Self.dtype($0.valueType)) }
            } ?? []
    }

    /// The card's text.
    var text: String {
        var yaml = ["---", "license: \(Self.quoted(license))", "pretty_name: \(Self.quoted(source["title"] ?? dataset))", "tags:", "- single-cell", "- sluice"]
        // Where the data came from, by the ids its catalog gave (CELLxGENE, ENA).
        let ids = Self.sourceKeys.compactMap { key in source[key].map { "\(key): \($0)" } }
        if !ids.isEmpty { yaml += ["source_datasets:"] + ids.map { "- \(Self.quoted($0))" } }
        if !splits.isEmpty {
            yaml += ["configs:", "- config_name: default", "  data_files:"]
            for split in splits {
                yaml += ["  - split: \(split.name)"]
                yaml += split.patterns.count == 1 ? ["    path: \(Self.quoted(split.patterns[0]))"] : ["    path:"] + split.patterns.map { "    - \(Self.quoted($0))" }
            }
            yaml += ["dataset_info:", "  config_name: default"]
            if !features.isEmpty {
                yaml += ["  features:"]
                for feature in features { yaml += ["  - name: \(Self.quoted(feature.name))", "    \(feature.type)"] }
            }
            yaml += ["  splits:"]
            for split in splits { yaml += ["  - name: \(split.name)", "    num_examples: \(split.rows)"] }
        }
        yaml += ["---", "", "# \(source["title"] ?? dataset)", ""]
        var body = ["Dataset `\(dataset)`, published by [Sluice](https://github.com/sluice-omics/sluice)."]
        if !splits.isEmpty {
            body += ["", "| split | rows | files |", "|---|---:|---|"]
            for split in splits { body.append("| \(split.name) | \(split.rows) | \(split.patterns.map { "`\($0)`" }.joined(separator: ", ")) |") }
        }
        if !source.isEmpty {
            body += ["", "## Source", ""]
            for key in source.keys.sorted() { body.append("- **\(key)**: \(source[key]!)") }
        }
        if let vocabulary { body += ["", "Token ids follow the vocabulary `vocab.json` (SHA-256 `\(vocabulary)`)."] }
        body += ["", "Licence: \(license) — check the source's terms before reuse."]
        return (yaml + body).joined(separator: "\n") + "\n"
    }

    /// The card of a repository shared by datasets, each in its folder: one configuration per
    /// folder that holds Parquet files, named by the folder, with its train/test data files.
    static func collection(paths: Set<String>, license: String) -> String {
        var byFolder: [String: [String]] = [:]
        for path in paths where path.hasSuffix(".parquet") {
            let parts = path.split(separator: "/", maxSplits: 1).map(String.init)
            if parts.count == 2 { byFolder[parts[0], default: []].append(parts[1]) }
        }
        var yaml = ["---", "license: \(quoted(license))", "tags:", "- single-cell", "- sluice", "configs:"]
        for folder in byFolder.keys.sorted() {
            let files = byFolder[folder]!.sorted()
            yaml += ["- config_name: \(quoted(folder))", "  data_files:"]
            let test = files.filter { $0.hasPrefix("test/") }
            let train = files.filter { !$0.hasPrefix("test/") }
            for (split, members) in [("train", train), ("test", test)] where !members.isEmpty {
                let found = patterns(for: members).map { folder + "/" + $0 }
                yaml += ["  - split: \(split)"]
                yaml += found.count == 1 ? ["    path: \(quoted(found[0]))"] : ["    path:"] + found.map { "    - \(quoted($0))" }
            }
        }
        let list = byFolder.keys.sorted().map { "- `\($0)`: `load_dataset(REPO, \"\($0)\")`" }
        return (yaml + ["---", "", "# Datasets published by Sluice", "", "One configuration per dataset folder:", ""] + list).joined(separator: "\n") + "\n"
    }

    /// `files` as data-file patterns: their folder's `*.parquet` when they all lie in one
    /// folder (a pattern that matches later shards too), else each file.
    private static func patterns(for files: [String]) -> [String] {
        let folders = Set(files.map { ($0 as NSString).deletingLastPathComponent })
        guard folders.count == 1, let folder = folders.first else { return files }
        return [folder.isEmpty ? "*.parquet" : folder + "/*.parquet"]
    }

    /// The source metadata named in the card's `source_datasets`.
    private static let sourceKeys = ["collection_id", "dataset_id", "dataset_version_id", "study_accession", "sample_accession", "experiment_accession"]

    private static func dtype(_ type: ParquetValueType) -> String {
        switch type {
        case .boolean: "bool"
        case .int32: "int32"
        case .int64: "int64"
        case .float: "float32"
        case .double: "float64"
        case .string: "string"
        }
    }

    /// `text` as a YAML double-quoted scalar.
    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: " ") + "\""
    }

    /// What the card reads of a corpus manifest.
    private struct Manifest: Decodable {
        var source: [String: String]?
        var vocabulary_sha256: String?
    }
}
