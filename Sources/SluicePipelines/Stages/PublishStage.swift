import Foundation
public import SluiceEngine

/// Publishes each item's input — a processed dataset, e.g. a preprocess stage's `train/`,
/// `test/`, `manifest.json`, `vocab.json` — to the Hugging Face Hub (``HubPublisher``): a
/// dataset repository per item (`OWNER/NAME-<item>`, the default) or one repository with a
/// folder per item (`layout: folder-per-item`), each with a generated dataset card. A refusal
/// fails that item's task with the Hub's message; its inputs stay until a retry succeeds.
/// Publishing again sends only what the repository lacks.
public struct PublishStage: ConfigurableStage {
    public static let kind = "publish"
    /// Network faults the client's own retries did not ride out.
    public static var defaultRetries: Int { 2 }

    public let header: StageHeader
    /// The repository (per-item layout: the prefix of each item's).
    public let repository: HubRepository
    /// Whether each item gets its own repository.
    public let repositoryPerItem: Bool
    public let isPrivate: Bool
    /// The token's file; nil: `HF_TOKEN` or the saved login (read when the stage runs).
    public let tokenFile: String?
    /// The Hub's address.
    public let endpoint: String
    public let caFile: String?
    /// The licence the cards declare.
    public let license: String
    /// Whether the inputs (in `raw` or `interim`) are deleted once published.
    public let deleteInputs: Bool

    public init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        let keys = try options.keys(known: ["to", "repo_id", "layout", "private", "token_file", "endpoint", "ca_file", "license", "delete_inputs"])
        let sink = try keys["to"]?.string() ?? "hf"
        guard sink == "hf" else { throw options.error(.badValue, "\(options.path).to: '\(sink)' is not a sink Sluice publishes to (hf)") }
        guard let repoID = keys["repo_id"] else {
            throw options.error(.missingKey, "\(options.path) needs 'repo_id': the Hub repository, OWNER/NAME")
        }
        do {
            repository = try HubRepository(try repoID.string())
        } catch let error as HubError {
            throw repoID.error(.badValue, error.message)
        }
        switch try keys["layout"]?.string() ?? "repo-per-item" {
        case "repo-per-item": repositoryPerItem = true
        case "folder-per-item": repositoryPerItem = false
        case let other: throw options.error(.badValue, "\(options.path).layout: '\(other)' is neither repo-per-item nor folder-per-item")
        }
        isPrivate = try keys["private"]?.bool() ?? false
        tokenFile = try keys["token_file"]?.readableFile("token_file:", absolute: options.absolute)
        endpoint = try keys["endpoint"]?.httpAddress("publish endpoint:") ?? HubToken.endpoint()
        caFile = try keys["ca_file"]?.readableFile("ca_file:", absolute: options.absolute)
        license = try keys["license"]?.string() ?? "other"
        deleteInputs = try keys["delete_inputs"]?.bool() ?? false
    }

    public var outputArea: Area? { nil }
    public var consumesInputs: Bool { deleteInputs }
    public func outputFolder(item: String, isGroup: Bool) -> String? { nil }
    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 { 0 }

    /// The repository `item` goes to.
    public func repository(for item: String) throws -> HubRepository {
        repositoryPerItem ? try repository.suffixed(item) : repository
    }

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        let publisher = HubPublisher(endpoint: endpoint, token: try HubToken.resolve(file: tokenFile), caFile: caFile, license: license)
        for unit in units {
            guard let input = unit.input else {
                throw StageError(code: "publish.no-input", "stage \(name) has no input folder for \(unit.name): it needs a stage before it")
            }
            let target = try repository(for: unit.name)
            let publication = try await publisher.publish(
                input, as: unit.name, to: target, layout: repositoryPerItem ? .root : .folder(unit.name), isPrivate: isPrivate, progress: context.progress)
            if let commit = publication.commit {
                unit.log.log(
                    step: name,
                    "published to \(publication.url): \(publication.uploaded) file(s), \(ByteSize.format(publication.uploadedBytes)) sent, \(publication.unchanged) unchanged (\(commit))"
                )
            } else {
                unit.log.log(step: name, "\(publication.url) already holds it: \(publication.unchanged) file(s) unchanged, nothing sent")
            }
        }
    }
}
