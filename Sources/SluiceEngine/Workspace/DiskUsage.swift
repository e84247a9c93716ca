#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Bytes on disk, measured the way the budget counts them: the sizes of regular files (links
/// and folders count nothing), so measured usage and reservations are in the same unit.
public enum DiskUsage {
    /// The bytes of the regular files at or under `path` (0 when it does not exist).
    public static func bytes(at path: String) -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        if (info.st_mode & S_IFMT) == S_IFREG { return Int64(info.st_size) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return 0 }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return 0 }
        return names.reduce(0) { $0 + bytes(at: path + "/" + $1) }
    }

    /// The fraction of the filesystem holding `path` that is in use (0…1), or nil if unknown.
    public static func filesystemFraction(at path: String) -> Double? {
        var info = statvfs()
        guard statvfs(path, &info) == 0, info.f_blocks > 0 else { return nil }
        let total = Double(info.f_blocks)
        let free = Double(info.f_bavail)
        return 1 - free / total
    }
}
