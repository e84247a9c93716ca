import Foundation

/// A regular file opened for serving: its handle, size and a validator for `ETag`.
struct OpenedFile: Sendable {
    /// The open handle; reads happen on the server's thread pool, one at a time.
    let handle: FileHandle
    /// The file's size in bytes when it was opened.
    let size: Int64
    /// A weak validator built from size and modification time, quoted as `ETag` wants it.
    let etag: String
}
