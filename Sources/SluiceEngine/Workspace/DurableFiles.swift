import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a committed output folder holds, for the ledger: each file's size and SHA-256 (the
/// commit itself is ``AtomicCommit``'s).
enum DurableFiles {
    /// Regular files at or under `path`: (path, bytes), sorted by path. Links count as 0 bytes.
    static func files(at path: String) -> [(path: String, bytes: Int64)] {
        var info = stat()
        guard lstat(path, &info) == 0 else { return [] }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return [(path, Int64(info.st_size))]
        case S_IFLNK: return [(path, 0)]
        case S_IFDIR:
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
            return names.flatMap { files(at: path + "/" + $0) }
        default: return []
        }
    }

    /// SHA-256 of a file's content.
    static func sha256(_ path: String) throws -> String {
        guard let digest = try Checksum.of(file: path) else {
            throw StageError(code: "commit.read", "cannot read \(path) to checksum it")
        }
        return digest
    }
}
