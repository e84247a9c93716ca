package import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one way Sluice makes a file or folder appear (rule 2, DESIGN.md): written as
/// `<target>.partial`, flushed to disk (every file and folder in it), renamed over the target,
/// and the parent folder flushed — so a crash leaves the old target or the new one, never a
/// torn one, and there is never a moment with no target at all (no remove-then-move).
package enum AtomicCommit {
    /// Where a writer writes before the commit.
    package static func partialPath(of target: String) -> String { target + ".partial" }

    /// Writes `data` to `path` atomically and durably.
    package static func write(_ data: Data, to path: String) throws {
        let partial = partialPath(of: path)
        do {
            try data.write(to: URL(fileURLWithPath: partial))
        } catch {
            unlink(partial)
            throw FormatError(.ioFailure, path: path, "could not be written: \(error.localizedDescription)")
        }
        try commit(partial, to: path)
    }

    /// Writes `text` (UTF-8) to `path` atomically and durably.
    package static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Flushes `partial` (a file, or a folder and everything in it), renames it over `target`
    /// and flushes the parent folder. A folder that replaces an older folder is swapped with it
    /// in one step (`renameat2(RENAME_EXCHANGE)`), and the older one is then deleted.
    package static func commit(_ partial: String, to target: String) throws {
        try sync(partial)
        if Glibc.rename(partial, target) != 0 {
            guard errno == ENOTEMPTY || errno == EEXIST || errno == EISDIR else {
                throw FormatError(.ioFailure, path: target, "renaming \(partial) into place failed: \(String(cString: strerror(errno)))")
            }
            try exchange(partial, target)
        }
        try syncEntry(parent(of: target))
    }

    /// Flushes every file and folder at or under `path` (links and other entries are left alone).
    package static func sync(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw FormatError(.ioFailure, path: path, "is missing at commit: \(String(cString: strerror(errno)))")
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFDIR || kind == S_IFREG else { return }
        if kind == S_IFDIR {
            for name in try FileManager.default.contentsOfDirectory(atPath: path) { try sync(path + "/" + name) }
        }
        try syncEntry(path)
    }

    /// Swaps two folders in one step, then deletes what was the target (now at `partial`).
    private static func exchange(_ partial: String, _ target: String) throws {
        // glibc declares renameat2 only under _GNU_SOURCE, which Swift's Glibc module leaves out:
        // it is looked up by name. RENAME_EXCHANGE needs Linux ≥ 3.15; a filesystem without it
        // answers EINVAL, reported as it is.
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        let renameExchange: UInt32 = 1 << 1
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else {
            throw FormatError(.ioFailure, path: target, "an older \(target) is in the way and this system cannot swap folders")
        }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        guard renameat2(AT_FDCWD, partial, AT_FDCWD, target, renameExchange) == 0 else {
            throw FormatError(.ioFailure, path: target, "replacing the older \(target) failed: \(String(cString: strerror(errno)))")
        }
        try? FileManager.default.removeItem(atPath: partial)
    }

    private static func syncEntry(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FormatError(.ioFailure, path: path, "could not be opened to flush it: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw FormatError(.ioFailure, path: path, "could not be flushed to disk: \(String(cString: strerror(errno)))")
        }
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
