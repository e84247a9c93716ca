import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `du` says, measured here independently of the engine's own accounting (a test of the
/// budget must not trust the code it tests): allocated bytes and entries under a path.
public enum DuMeasure {
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
}
