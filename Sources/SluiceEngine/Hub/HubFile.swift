import Foundation

/// One file to publish: where it goes in the repository, its bytes (on disk, or made in memory
/// like the dataset card), size, SHA-256 and the first 512 bytes the Hub looks at to choose
/// between Git and LFS.
struct HubFile: Sendable {
    /// Its path in the repository.
    var path: String
    /// Its path on disk; nil for content made in memory.
    var localPath: String?
    /// Content made in memory.
    var content: Data?
    var size: Int64
    var sha256: String
    var sample: Data

    /// The file at `localPath`, to be stored as `path`.
    init(path: String, localPath: String) throws {
        self.path = path
        self.localPath = localPath
        content = nil
        size = DiskUsage.contentBytes(at: localPath)
        guard let digest = try Checksum.of(file: localPath) else {
            throw HubError(.nothing, "cannot read \(localPath) to publish it")
        }
        sha256 = digest
        let handle = FileHandle(forReadingAtPath: localPath)
        sample = (try? handle?.read(upToCount: 512)) ?? Data()
        try? handle?.close()
    }

    /// `content`, to be stored as `path`.
    init(path: String, content: Data) {
        self.path = path
        localPath = nil
        self.content = content
        size = Int64(content.count)
        sha256 = Checksum.sha256(content)
        sample = content.prefix(512)
    }

    /// The whole content (for a file the Hub keeps in Git: small, read once).
    func data() throws -> Data {
        if let content { return content }
        return try Data(contentsOf: URL(fileURLWithPath: localPath!))
    }
}
