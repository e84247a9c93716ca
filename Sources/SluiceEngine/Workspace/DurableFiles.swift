#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The commit step of rule 2 (DESIGN.md): flush a `.partial` folder to disk, rename it into
/// place, and describe what it holds (sizes and SHA-256 of each file) for the ledger.
enum DurableFiles {
    /// fsyncs every file and folder at or under `path`.
    static func sync(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let isFolder = (info.st_mode & S_IFMT) == S_IFDIR
        guard isFolder || (info.st_mode & S_IFMT) == S_IFREG else { return }
        if isFolder {
            for name in try FileManager.default.contentsOfDirectory(atPath: path) { try sync(path + "/" + name) }
        }
        try syncEntry(path)
    }

    /// Renames `from` to `to` (replacing a stale `to`) and flushes the parent folder.
    static func commit(_ from: String, to: String) throws {
        if FileManager.default.fileExists(atPath: to) { try FileManager.default.removeItem(atPath: to) }
        guard rename(from, to) == 0 else {
            throw StageError(code: "commit.rename", "cannot rename \(from) to \(to): \(String(cString: strerror(errno)))")
        }
        try syncEntry((to as NSString).deletingLastPathComponent)
    }

    /// fsyncs one file or folder (a folder's entries, not what is under them).
    static func syncEntry(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StageError(code: "commit.sync", "cannot open \(path) to flush it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StageError(code: "commit.sync", "cannot flush \(path): \(String(cString: strerror(errno)))") }
    }

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
