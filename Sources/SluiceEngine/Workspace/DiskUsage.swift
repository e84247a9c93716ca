import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Disk use, measured the way quotas and `du` count it: the blocks allocated to every file,
/// folder and link (a 100-byte file takes a whole 4 KiB block, and so does its folder), and the
/// entries (inodes) themselves. The budget keeps its books in these units; content lengths
/// (``contentBytes(at:)``) are what downloads, ratios and reports speak of.
public enum DiskUsage {
    /// The block size reservations are rounded to.
    public static let blockSize: Int64 = 4096

    /// Allocated bytes and entries at or under `path`, in one walk ((0, 0) when it does not exist).
    public static func measure(_ path: String) -> (bytes: Int64, entries: Int) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return (0, 0) }
        var total = (bytes: Int64(info.st_blocks) * 512, entries: 1)
        guard (info.st_mode & S_IFMT) == S_IFDIR, let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return total }
        for name in names {
            let inner = measure(path + "/" + name)
            total.bytes += inner.bytes
            total.entries += inner.entries
        }
        return total
    }

    /// Allocated bytes and entries at or under each of `paths`, summed.
    public static func measure(_ paths: [String]) -> (bytes: Int64, entries: Int) {
        paths.map(measure).reduce((0, 0)) { ($0.bytes + $1.bytes, $0.entries + $1.entries) }
    }

    /// Allocated bytes at or under `path`: what `du` and quotas count.
    public static func bytes(at path: String) -> Int64 { measure(path).bytes }

    /// The sum of the lengths of the regular files at or under `path` (links and folders count
    /// nothing): a download's Content-Length, an input's size for ratios.
    public static func contentBytes(at path: String) -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        if (info.st_mode & S_IFMT) == S_IFREG { return Int64(info.st_size) }
        guard (info.st_mode & S_IFMT) == S_IFDIR, let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return 0 }
        return names.reduce(0) { $0 + contentBytes(at: path + "/" + $1) }
    }

    /// What `length` content bytes take on disk in one file, with the folder that holds it:
    /// whole blocks, and one more for the folder. The engine reserves this for an estimate.
    public static func allocation(forLength length: Int64) -> Int64 {
        guard length > 0 else { return blockSize }
        return (length + blockSize - 1) / blockSize * blockSize + blockSize
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
