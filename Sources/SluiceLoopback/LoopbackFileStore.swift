import Foundation
import NIOCore
import NIOPosix

/// The files under the server's root, opened and read on a thread pool so the event loop never blocks.
struct LoopbackFileStore: Sendable {
    /// The absolute root directory, without a trailing slash.
    let root: String
    /// Runs the blocking file-system calls.
    let threadPool: NIOThreadPool

    /// The absolute path for `encodedPath` (percent-encoded, `/`-separated, relative to the root),
    /// or nil when it would leave the root or cannot be decoded.
    func absolutePath(forEncoded encodedPath: String) -> String? {
        var components: [String] = []
        for encoded in encodedPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard let component = String(encoded).removingPercentEncoding,
                !component.isEmpty, !component.contains("/"), !component.contains("\0")
            else { return nil }
            switch component {
            case ".": continue
            case "..": return nil
            default: components.append(component)
            }
        }
        return ([root] + components).joined(separator: "/")
    }

    /// Opens the regular file at `path` (a folder's `index.json`, so that a path can be both an
    /// answer and a prefix, as `/curation/v1/datasets` and `/curation/v1/datasets/ID/versions`
    /// of an API are), reporting a missing path or a non-file instead of failing.
    func open(path: String, eventLoop: any EventLoop) -> EventLoopFuture<FileLookup> {
        threadPool.runIfActive(eventLoop: eventLoop) {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return .missing }
            let index = path + "/index.json"
            let path = isFolder.boolValue && FileManager.default.fileExists(atPath: index) ? index : path
            let url = URL(fileURLWithPath: path)
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey, .contentModificationDateKey])
            guard values.isRegularFile == true else { return .notRegularFile }
            let handle = try FileHandle(forReadingFrom: url)
            let size = Int64(values.fileSize ?? 0)
            let modified = Int64((values.contentModificationDate ?? Date(timeIntervalSince1970: 0)).timeIntervalSince1970)
            return .found(OpenedFile(handle: handle, size: size, etag: "\"\(size)-\(modified)\""))
        }
    }

    /// Reads up to `count` bytes of `file` starting at `offset`; fewer only at end of file.
    func read(
        _ file: OpenedFile, offset: Int64, count: Int, allocator: ByteBufferAllocator, eventLoop: any EventLoop
    ) -> EventLoopFuture<ByteBuffer> {
        threadPool.runIfActive(eventLoop: eventLoop) {
            try file.handle.seek(toOffset: UInt64(offset))
            let data = try file.handle.read(upToCount: count) ?? Data()
            var buffer = allocator.buffer(capacity: data.count)
            buffer.writeBytes(data)
            return buffer
        }
    }

    /// Closes `file`; safe to call once no read is in flight.
    func close(_ file: OpenedFile) {
        try? file.handle.close()
    }
}
