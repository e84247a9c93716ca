import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Workspace {
    /// Moves an item's log folder — what its programs printed — into the run's logs once the
    /// item is finished: each file is appended to the file of the same name in `logs/` (under a
    /// line naming the item; `pipeline.*` lines name it already), then the folder goes.
    /// Per-item folders thus exist only for items in flight and items that failed, so the
    /// files a run leaves do not grow with its item count.
    public func foldLogs(item: String) throws {
        let folder = try logFolder(item: item)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names.sorted() {
            // A program that printed nothing left only its command line (`$ …`): nothing to keep.
            guard let data = FileManager.default.contents(atPath: folder + "/" + name),
                String(decoding: data, as: UTF8.self).split(separator: "\n").contains(where: { !$0.hasPrefix("$ ") })
            else { continue }
            let named = name.hasPrefix("pipeline.") ? data : Data("── \(item) ──\n".utf8) + data
            try append(named, to: logsFolder + "/" + name)
        }
        // Only the item's own folder goes: `logs/items/` stays, since another item's stage may
        // be making its folder in it at this moment.
        try remove(folder)
    }

    /// Appends in one write (O_APPEND), so that workers folding at once do not interleave.
    private func append(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WorkspaceError(code: "workspace.log", "cannot open the log \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else { throw WorkspaceError(code: "workspace.log", "cannot append to the log \(path): \(String(cString: strerror(errno)))") }
    }
}
