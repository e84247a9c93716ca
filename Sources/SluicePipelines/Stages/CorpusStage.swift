import Foundation
public import SluiceEngine
import SluiceFormats

/// The corpus a run's `preprocess` stage built, as one (docs/pipeline.md): once every item has
/// been tokenized (a barrier), `output/corpus/` gets `vocab.json` — the run's final
/// vocabulary, of which every item's own `vocab.json` is a prefix (checked) — and
/// `manifest.json`, every item's shards with their rows, bytes and SHA-256 by split, paths
/// relative to it, what `datasets.load_dataset("parquet", data_files=…)` is given.
public struct CorpusStage: ConfigurableStage {
    public static let kind = "corpus"
    public let header: StageHeader

    public init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        _ = try options.keys(known: [])
    }

    public var scheduling: StageScheduling { .barrier }
    public var outputArea: Area? { .output }
    /// The shards stay: they are the corpus.
    public var consumesInputs: Bool { false }

    public func outputFolder(item: String, isGroup: Bool) -> String? { "output/corpus" }

    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 { 16 << 20 }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        for unit in units {
            guard let partial = unit.partialOutput else { continue }
            var vocabulary: (data: Data, genes: [String: Int32])?
            var vocabularies: [(folder: String, genes: [String: Int32])] = []
            var manifests: [(item: String, manifest: CorpusManifest)] = []
            for folder in unit.memberInputs {
                let item = (folder as NSString).lastPathComponent
                guard let data = FileManager.default.contents(atPath: folder + "/vocab.json"),
                    let genes = try? Self.tokens(of: data),
                    let manifestData = FileManager.default.contents(atPath: folder + "/manifest.json"),
                    let manifest = try? JSONDecoder().decode(CorpusManifest.self, from: manifestData)
                else { throw StageError(code: "corpus.input", "\(folder) holds no corpus (vocab.json and manifest.json): give from: the preprocess stage") }
                manifests.append((item, manifest))
                vocabularies.append((folder, genes))
                // Every item's vocabulary is a prefix of the run's: the largest holds them all.
                if vocabulary == nil || genes.count > vocabulary!.genes.count { vocabulary = (data, genes) }
            }
            guard let vocabulary else { throw StageError(code: "corpus.input", "no item was tokenized") }
            for (folder, genes) in vocabularies {
                guard genes.allSatisfy({ vocabulary.genes[$0.key] == $0.value }) else {
                    throw StageError(
                        code: "corpus.vocabularies", "\(folder)'s vocabulary gives genes other ids than the run's: its tokens mean other genes")
                }
            }
            var shards: [String: [CorpusManifest.Shard]] = [:]
            for (item, manifest) in manifests {
                for (split, list) in manifest.shards {
                    shards[split, default: []] += list.map { shard in
                        var moved = shard
                        moved.path = "../\(item)/" + shard.path
                        return moved
                    }
                }
            }
            let medians = Set(manifests.map(\.manifest.medians_sha256))
            let presets = Set(manifests.map(\.manifest.preset))
            var manifest = CorpusManifest(
                dataset: nil, datasets: manifests.map(\.item), vocabulary: Checksum.sha256(vocabulary.data),
                medians: medians.count == 1 ? medians.first! : nil, preset: presets.count == 1 ? presets.first! : nil, shards: shards)
            let sources = manifests.compactMap { entry in entry.manifest.source.map { (entry.item, $0) } }
            if !sources.isEmpty { manifest.sources = Dictionary(sources) { first, _ in first } }
            try vocabulary.data.write(to: URL(fileURLWithPath: partial + "/vocab.json"))
            try manifest.json().write(to: URL(fileURLWithPath: partial + "/manifest.json"))
        }
    }

    /// A `vocab.json`'s genes and their tokens.
    private static func tokens(of data: Data) throws -> [String: Int32] {
        let vocabulary = try JSONDecoder().decode(Vocabulary.self, from: data)
        return Dictionary(vocabulary.genes.map { ($0.name, $0.token) }) { first, _ in first }
    }
}
