internal import Glibc

/// A file descriptor owned by this object (closed in `deinit`), with the few calls Parquet needs:
/// positioned reads, appending writes, fsync and size.
///
/// Every failing call becomes a `FormatError` in `check(_:_:)`, the one place errno is read.
final class PosixFile {
    let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { if descriptor >= 0 { _ = Glibc.close(descriptor) } }

    /// Opens `path` for reading.
    static func openForReading(_ path: String) throws -> PosixFile {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw FormatError(.fileNotFound, path: path, "the file does not exist") }
            throw FormatError(.ioFailure, path: path, "cannot open the file: \(String(cString: strerror(code)))")
        }
        return PosixFile(path: path, descriptor: descriptor)
    }

    /// Creates (or truncates) `path` for writing.
    static func create(_ path: String) throws -> PosixFile {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FormatError(.ioFailure, path: path, "cannot create the file: \(String(cString: strerror(errno)))")
        }
        return PosixFile(path: path, descriptor: descriptor)
    }

    /// Opens an existing `path` for writing, cut to its first `length` bytes, writing from there.
    static func openCut(_ path: String, to length: Int) throws -> PosixFile {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FormatError(.ioFailure, path: path, "cannot open the file to go on writing it: \(String(cString: strerror(errno)))")
        }
        let file = PosixFile(path: path, descriptor: descriptor)
        guard try file.size() >= length else {
            throw FormatError(.corruptData, path: path, "is shorter than the \(length) bytes it held at its last checkpoint")
        }
        try file.check(Int(ftruncate(descriptor, off_t(length))), "cutting the file to \(length) bytes")
        try file.check(Int(lseek(descriptor, 0, SEEK_END)), "moving to the end of the file")
        return file
    }

    /// Flushes what was written to the disk.
    func sync() throws {
        try check(Int(fsync(descriptor)), "flushing the file to disk")
    }

    /// Turns a failed call's errno into an error that names the step.
    private func check(_ result: Int, _ step: String) throws {
        if result < 0 {
            throw FormatError(.ioFailure, path: path, "\(step) failed: \(String(cString: strerror(errno)))")
        }
    }

    /// The file's size in bytes.
    func size() throws -> Int {
        var info = stat()
        try check(Int(fstat(descriptor, &info)), "reading the file size")
        return Int(info.st_size)
    }

    /// Reads exactly `buffer.count` bytes at `offset`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < buffer.count {
            let count = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if count < 0 && errno == EINTR { continue }
            try check(count, "reading \(buffer.count) bytes at offset \(offset)")
            if count == 0 {
                throw FormatError(.corruptData, path: path, "the file ends before offset \(offset + buffer.count) (truncated?)")
            }
            done += count
        }
    }

    /// Reads `count` bytes at `offset` into a new array.
    func read(count: Int, at offset: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { buffer in try read(into: buffer, at: offset) }
        return bytes
    }

    /// Writes all of `bytes` at the current position.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if count < 0 && errno == EINTR { continue }
            try check(count, "writing \(bytes.count) bytes")
            done += count
        }
    }

    /// Closes the descriptor now, reporting a failure (a full disk can surface only here).
    func close() throws {
        guard descriptor >= 0 else { return }
        let result = Glibc.close(descriptor)
        descriptor = -1
        try check(Int(result), "closing the file")
    }

    /// Removes `path`, ignoring a missing file.
    static func remove(_ path: String) {
        _ = unlink(path)
    }
}
