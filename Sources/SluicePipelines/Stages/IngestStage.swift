import Foundation
public import SluiceEngine

/// Stores the text of an item's input files in the ledger's database — its `ingested` table,
/// under the collection `into:` — in the same transaction that completes the task: after any
/// crash each file is stored once, never twice and never lost (docs/pipeline.md). With a
/// PostgreSQL ledger the records are there for anyone to query; with SQLite, in `sluice.db`.
public struct IngestStage: ConfigurableStage {
    public static let kind = "ingest"
    public let header: StageHeader
    /// The collection the records go to.
    public let collection: String
    /// Which of the input's files are stored (globs, relative to the input folder).
    public let patterns: [String]
    /// The largest file stored; a larger one fails its item.
    public let maximumBytes: Int64
    /// Whether the inputs (in `raw` or `interim`) are deleted once stored.
    public let deleteInputs: Bool

    public init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        let keys = try options.keys(known: ["into", "files", "max_bytes", "delete_inputs"])
        guard let into = keys["into"] else {
            throw options.error(.missingKey, "\(options.path) needs 'into': the collection its records are stored under")
        }
        collection = try into.string()
        guard !collection.isEmpty else { throw into.error(.badValue, "\(into.path) must name a collection") }
        patterns = try keys["files"].map { try $0.sequence != nil ? $0.strings() : [$0.string()] } ?? ["*"]
        maximumBytes = try keys["max_bytes"]?.bytes() ?? 16 << 20
        deleteInputs = try keys["delete_inputs"]?.bool() ?? true
    }

    public var outputArea: Area? { nil }
    public var consumesInputs: Bool { deleteInputs }
    public func outputFolder(item: String, isGroup: Bool) -> String? { nil }
    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 { 0 }

    /// Checks that each unit has files to store, each small enough and text.
    public func run(_ units: [StageUnit], context: StageContext) async throws {
        for unit in units { _ = try records(for: unit) }
    }

    /// One record per file of the unit's input that matches `files`, named by its path in the
    /// input folder.
    public func records(for unit: StageUnit) throws -> [IngestRecord] {
        guard let input = unit.input else {
            throw StageError(code: "ingest.no-input", "stage \(name) has no input folder for \(unit.name): it needs a stage before it")
        }
        var records: [IngestRecord] = []
        for pattern in patterns {
            for path in GlobPattern(input + "/" + pattern).expand() {
                let bytes = DiskUsage.contentBytes(at: path)
                guard bytes <= maximumBytes else {
                    throw StageError(
                        code: "ingest.too-large", "\(path) holds \(ByteSize.format(bytes)), more than stage \(name) stores (max_bytes: \(ByteSize.format(maximumBytes)))")
                }
                guard let text = String(data: try Data(contentsOf: URL(fileURLWithPath: path)), encoding: .utf8) else {
                    throw StageError(code: "ingest.not-text", "\(path) is not UTF-8 text: stage \(name) stores text")
                }
                let name = String(path.dropFirst(input.count + 1))
                if !records.contains(where: { $0.name == name }) {
                    records.append(IngestRecord(collection: collection, item: unit.name, name: name, content: text))
                }
            }
        }
        guard !records.isEmpty else {
            throw StageError(code: "ingest.nothing", "stage \(name) found no file matching \(patterns.joined(separator: ", ")) for \(unit.name)")
        }
        return records
    }
}
