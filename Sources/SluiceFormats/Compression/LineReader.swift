internal import CZlib
import Foundation

/// Reads a text file line by line, inflating it on the fly when it is gzip-compressed.
///
/// Memory stays at two fixed buffers whatever the file's size. Gzip is detected by its magic
/// bytes, not the name; concatenated gzip members (as `bgzip` writes) are read through.
package final class LineReader {
    package let path: String
    private let handle: FileHandle
    private let gzip: Bool
    private var stream = z_stream()
    private var streamOpen = false
    private var input = Data()
    private var inputOffset = 0
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var endOfText = false
    /// The number of the line last returned (1-based).
    package private(set) var lineNumber = 0
    private let bufferSize = 1 << 18

    package init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FormatError(.fileNotFound, path: path, "cannot be opened for reading")
        }
        self.handle = handle
        let magic = (try? handle.read(upToCount: 2)) ?? Data()
        try? handle.seek(toOffset: 0)
        gzip = magic.count == 2 && magic[magic.startIndex] == 0x1f && magic[magic.startIndex + 1] == 0x8b
        if gzip {
            // 15 + 32: a zlib or gzip header, detected automatically.
            guard sluice_inflateInit2(&stream, 15 + 32) == Z_OK else {
                throw FormatError(.ioFailure, path: path, "zlib could not start inflating")
            }
            streamOpen = true
        }
    }

    deinit {
        if streamOpen { inflateEnd(&stream) }
        try? handle.close()
    }

    /// Calls `body` with the bytes of the next line (without the line break); `false` at the end.
    package func nextLine(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        while true {
            if let newline = pending[pendingStart...].firstIndex(of: 0x0A) {
                var end = newline
                if end > pendingStart, pending[end - 1] == 0x0D { end -= 1 }
                lineNumber += 1
                try pending.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[pendingStart..<end])) }
                pendingStart = newline + 1
                return true
            }
            if endOfText {
                guard pendingStart < pending.count else { return false }
                lineNumber += 1
                try pending.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[pendingStart...])) }
                pendingStart = pending.count
                return true
            }
            pending.removeFirst(pendingStart)
            pendingStart = 0
            try fill()
        }
    }

    /// The next line as a string, or `nil` at the end.
    package func nextLine() throws -> String? {
        var text: String?
        let more = try nextLine { text = String(decoding: $0, as: UTF8.self) }
        return more ? text : nil
    }

    /// Appends more decoded text to `pending`.
    private func fill() throws {
        guard gzip else {
            let chunk = try readInput()
            if chunk.isEmpty { endOfText = true } else { pending.append(contentsOf: chunk) }
            return
        }
        if inputOffset >= input.count {
            input = try readInput()
            inputOffset = 0
            if input.isEmpty {
                // The file ended inside a gzip member.
                throw FormatError(.corruptData, path: path, "the gzip stream ends early — the file is truncated")
            }
        }
        var output = [UInt8](repeating: 0, count: bufferSize)
        let (status, produced, consumed): (Int32, Int, Int) = input.withUnsafeBytes { raw in
            output.withUnsafeMutableBufferPointer { out in
                let base = raw.bindMemory(to: UInt8.self).baseAddress! + inputOffset
                stream.next_in = UnsafeMutablePointer(mutating: base)
                stream.avail_in = UInt32(input.count - inputOffset)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, out.count - Int(stream.avail_out), input.count - inputOffset - Int(stream.avail_in))
            }
        }
        inputOffset += consumed
        pending.append(contentsOf: output[0..<produced])
        switch status {
        case Z_OK, Z_BUF_ERROR:
            break
        case Z_STREAM_END:
            // Another gzip member may follow (bgzip, cat a.gz b.gz).
            if inputOffset >= input.count {
                let more = try readInput()
                if more.isEmpty {
                    endOfText = true
                    return
                }
                input = more
                inputOffset = 0
            }
            inflateReset(&stream)
        default:
            let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
            throw FormatError(.corruptData, path: path, "is not a valid gzip stream (zlib: \(reason)) near line \(lineNumber + 1)")
        }
    }

    private func readInput() throws -> Data {
        do {
            return try handle.read(upToCount: bufferSize) ?? Data()
        } catch {
            throw FormatError(.ioFailure, path: path, "cannot be read: \(error.localizedDescription)")
        }
    }
}
