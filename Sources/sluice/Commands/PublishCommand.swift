import ArgumentParser
import Foundation
import SluiceEngine

/// `sluice publish`: sends a processed dataset to a sink.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a processed dataset (a folder of shards) to the Hugging Face Hub.",
        subcommands: [HubCommand.self])

    /// `sluice publish hf FOLDER --repo-id OWNER/NAME`.
    struct HubCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hf",
            abstract: "Upload a folder as a dataset repository on the Hugging Face Hub, with a generated dataset card.",
            discussion: """
                Creates the dataset repository (one that exists is kept as it is), asks the Hub how \
                each file is stored, uploads through Git LFS only the objects it lacks, and commits \
                every file whose content differs from what the repository holds at its path \
                (compared by SHA-256; Git's blob id for small text files) in one commit. Run again, \
                it sends nothing. Without a README.md in the folder, one is generated: YAML front \
                matter with the licence, the train/test data_files (Parquet files under train/ and \
                test/, else one train split), the features and row counts, then the dataset's source \
                (from a corpus's manifest.json). Hidden files and folders (checkpoints) are left out.

                The token comes from --token-file, else HF_TOKEN, else the login huggingface_hub saved \
                (HF_TOKEN_PATH, $HF_HOME/token, ~/.cache/huggingface/token); it is never printed. The \
                Hub is HF_ENDPOINT, else https://huggingface.co; HTTPS_PROXY / NO_PROXY are honoured.
                """)

        @Argument(help: "The folder to publish (e.g. a preprocess output: train/, test/, manifest.json, vocab.json).")
        var folder: String
        @Option(name: .customLong("repo-id"), help: "The dataset repository, OWNER/NAME.") var repoID: String
        @Option(name: .customLong("path-in-repo"), help: "Put the files in this folder of the repository (one repository shared by datasets) rather than at its root.")
        var pathInRepo: String?
        @Flag(help: "Create the repository private (an existing one keeps its visibility).") var `private` = false
        @Option(name: .customLong("token-file"), help: "A file holding the Hugging Face token.") var tokenFile: String?
        @Option(help: "The Hub's address (default: HF_ENDPOINT, else https://huggingface.co).") var endpoint: String?
        @Option(name: .customLong("ca-file"), help: "Trust only the certificate authorities in this PEM file.") var caFile: String?
        @Option(help: "The licence the dataset card declares (a Hub licence id, e.g. cc-by-4.0).") var license = "other"
        @Option(help: "The dataset's name in the card and the commit (default: the folder's name).") var name: String?

        func run() async throws {
            let repository = try HubRepository(repoID)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw HubError(.nothing, "\(folder) is not a folder")
            }
            let token = try HubToken.resolve(file: tokenFile)
            let publisher = HubPublisher(endpoint: endpoint ?? HubToken.endpoint(), token: token, caFile: caFile, license: license)
            let dataset = name ?? URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
            let layout: HubPublisher.Layout = pathInRepo.map { .folder($0) } ?? .root
            let display = ProgressDisplay()
            let publication = try await publisher.publish(folder, as: dataset, to: repository, layout: layout, isPrivate: `private`) { sent, total in
                display.update(dataset: dataset, step: "upload", done: Int(sent), total: Int(total), bytes: true)
            }
            display.clear()
            if let commit = publication.commit {
                print(
                    "published \(dataset) to \(publication.url): \(publication.uploaded) file(s), \(ByteSize.format(publication.uploadedBytes)) sent, \(publication.unchanged) unchanged; commit \(commit)"
                )
            } else {
                print("\(publication.url) already holds \(dataset): \(publication.unchanged) file(s) unchanged, nothing sent")
            }
        }
    }
}
