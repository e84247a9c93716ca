import Foundation

/// Publishes a folder — a processed dataset — to a dataset repository on the Hugging Face Hub:
/// creates the repository, asks the Hub how each file is stored, uploads through LFS only the
/// objects it lacks, and commits the files whose content differs from what the repository holds
/// at their path (SHA-256 for LFS files, the Git blob id for others) in one commit, with a
/// generated dataset card (``DatasetCard``). Run again, it sends nothing and commits nothing.
public struct HubPublisher: Sendable {
    /// Where a dataset's files go in its repository.
    public enum Layout: Sendable, Hashable {
        /// At the repository's root (a repository per dataset).
        case root
        /// In a folder of a repository shared by datasets: the root's card lists every
        /// dataset's folder as a configuration.
        case folder(String)
    }

    /// The Hub's address, without a trailing slash.
    public var endpoint: String
    var token: String
    /// A PEM file of the certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// The licence the dataset card declares.
    public var license: String
    /// Tries per request (``ServiceClient``).
    var attempts = 6
    /// LFS objects uploaded at once.
    var parallelUploads = 4

    /// A publisher to `endpoint` with `token` (never logged).
    public init(endpoint: String, token: String, caFile: String? = nil, license: String = "other") {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.token = token
        self.caFile = caFile
        self.license = license
    }

    /// Publishes the files of `folder` (hidden files and folders aside) as `dataset` to
    /// `repository`, laid out as `layout`; `progress` hears the bytes uploaded so far and the
    /// total to upload.
    public func publish(
        _ folder: String, as dataset: String, to repository: HubRepository, layout: Layout = .root, isPrivate: Bool = false,
        progress: @Sendable (Int64, Int64) -> Void = { _, _ in }
    ) async throws -> HubPublication {
        let prefix = if case .folder(let name) = layout { name + "/" } else { "" }
        let paths = Self.files(in: folder)
        guard !paths.isEmpty else { throw HubError(.nothing, "\(folder) holds no file to publish to \(repository)") }
        var files = try paths.map { try HubFile(path: prefix + $0, localPath: folder + "/" + $0) }
        if !paths.contains("README.md") {
            let card = DatasetCard(dataset: dataset, folder: folder, paths: paths, prefix: "", license: license)
            files.append(HubFile(path: prefix + "README.md", content: Data(card.text.utf8)))
        }
        do {
            return try await ServiceClient.session("the Hugging Face Hub at \(endpoint)", caFile: caFile) { service in
                var service = service
                service.attempts = attempts
                let client = HubClient(endpoint: endpoint, token: token, service: service)
                try await client.createRepository(repository, isPrivate: isPrivate)
                return try await send(files, layout: layout, dataset: dataset, to: repository, with: client, progress: progress)
            }
        } catch let failure as ServiceClient.Failure {
            throw HubError(.unreachable, failure.message)
        }
    }

    private func send(
        _ files: [HubFile], layout: Layout, dataset: String, to repository: HubRepository, with client: HubClient, progress: @Sendable (Int64, Int64) -> Void
    ) async throws -> HubPublication {
        let url = endpoint + "/datasets/" + repository.id
        // Each try sees the repository as it is: in a shared one, another dataset may commit in between.
        for _ in 1...8 {
            var files = files
            var parent: String?
            if case .folder = layout {
                let contents = try await client.contents(of: repository)
                parent = contents.commit
                let card = DatasetCard.collection(paths: Set(contents.paths).union(files.map(\.path)), license: license)
                files.append(HubFile(path: "README.md", content: Data(card.utf8)))
            }
            let placements = try await client.placements(of: files, in: repository)
            // What differs from the repository, as the commit's changes (a Git file's content read once).
            var changed: [HubFile] = []
            var changes: [HubClient.Change] = []
            for file in files {
                if placements[file.path]!.isLFS {
                    guard placements[file.path]!.remoteID != file.sha256 else { continue }
                    changes.append(.lfsFile(path: file.path, sha256: file.sha256, size: file.size))
                } else {
                    let content = try file.data()
                    guard placements[file.path]!.remoteID != Checksum.gitBlobSHA1(content) else { continue }
                    changes.append(.file(path: file.path, content: content))
                }
                changed.append(file)
            }
            let unchanged = files.count - changed.count
            guard !changed.isEmpty else { return HubPublication(url: url, commit: nil, uploaded: 0, uploadedBytes: 0, unchanged: unchanged) }
            let large = changed.filter { placements[$0.path]!.isLFS }
            let transfers = try await client.transfers(for: large, in: repository)
            // Each object the Hub lacks, once, `parallelUploads` at a time (as huggingface_hub's threads).
            var seen = Set<String>()
            let missing = large.filter { transfers[$0.sha256] != nil && seen.insert($0.sha256).inserted }
            let total = missing.reduce(Int64(0)) { $0 + $1.size }
            var sent: Int64 = 0
            progress(0, total)
            try await withThrowingTaskGroup(of: Int64.self) { group in
                var next = missing.makeIterator()
                func start() {
                    guard let file = next.next(), let transfer = transfers[file.sha256] else { return }
                    group.addTask {
                        try await client.upload(file, transfer, to: repository)
                        return file.size
                    }
                }
                for _ in 0..<parallelUploads { start() }
                while let size = try await group.next() {
                    sent += size
                    progress(sent, total)
                    start()
                }
            }
            let summary = "Publish \(dataset) (\(changed.count) file\(changed.count == 1 ? "" : "s")) with Sluice"
            if let commit = try await client.commit(changes, summary: summary, to: repository, parent: parent) {
                return HubPublication(url: url, commit: commit, uploaded: changed.count, uploadedBytes: changed.reduce(0) { $0 + $1.size }, unchanged: unchanged)
            }
        }
        throw HubError(.rejected, "\(repository) kept changing while \(dataset) was committed to it (8 tries); publish it again")
    }

    /// The files under `folder` to publish, relative to it and sorted: hidden files and folders
    /// (checkpoints) and unfinished `.partial` ones aside.
    static func files(in folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var paths: [String] = []
        while let path = walker.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.hasPrefix(".") || name.hasSuffix(".partial") {
                walker.skipDescendants()
                continue
            }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder), !isFolder.boolValue { paths.append(path) }
        }
        return paths.sorted()
    }
}
