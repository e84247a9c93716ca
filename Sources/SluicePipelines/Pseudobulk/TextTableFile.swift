import Foundation
import SluiceFormats

/// A tab-separated text file written line by line through a 1 MB buffer, as `<path>.partial`
/// renamed into place by ``close()`` — so a large table never sits in memory as one string, and a
/// file at `path` is always complete.
final class TextTableFile {
    let path: String
    private let partialPath: String
    private var handle: FileHandle?
    private var buffer: [UInt8] = []
    private static let flushBytes = 1 << 20

    init(path: String) throws {
        self.path = path
        partialPath = AtomicCommit.partialPath(of: path)
        guard FileManager.default.createFile(atPath: partialPath, contents: nil),
            let handle = FileHandle(forWritingAtPath: partialPath)
        else {
            throw AnalysisError(
                code: "pseudobulk.write", "could not create \(path); check that its folder exists and is writable")
        }
        self.handle = handle
        buffer.reserveCapacity(Self.flushBytes + 4096)
    }

    deinit {
        if handle != nil {
            try? handle?.close()
            try? FileManager.default.removeItem(atPath: partialPath)
        }
    }

    /// Appends `fields` joined by tabs, and a newline.
    func row(_ fields: [String]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(0x09) }
            buffer.append(contentsOf: field.utf8)
        }
        try endRow()
    }

    /// Appends a row name and numbers, each in its shortest exact form (see ``number(_:)``).
    func row(_ name: String, _ values: some Sequence<Double>) throws {
        buffer.append(contentsOf: name.utf8)
        for value in values {
            buffer.append(0x09)
            appendNumber(value)
        }
        try endRow()
    }

    /// A whole number as an integer (`12`), anything else as the shortest text that reads back
    /// as the same Double (`0.1`), NaN as `NaN`.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.isNaN ? "NaN" : "\(value)"
    }

    /// Appends ``number(_:)``'s text; whole numbers go digit by digit, with no String made.
    private func appendNumber(_ value: Double) {
        guard value == value.rounded(), abs(value) < 1e15 else {
            buffer.append(contentsOf: Self.number(value).utf8)
            return
        }
        var whole = Int64(value)
        if whole < 0 {
            buffer.append(UInt8(ascii: "-"))
            whole = -whole
        }
        let start = buffer.count
        repeat {
            buffer.append(UInt8(ascii: "0") + UInt8(whole % 10))
            whole /= 10
        } while whole > 0
        buffer[start...].reverse()
    }

    private func endRow() throws {
        buffer.append(0x0A)
        if buffer.count >= Self.flushBytes { try flush() }
    }

    private func flush() throws {
        guard let handle, !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw AnalysisError(code: "pseudobulk.write", "could not write \(path): \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and renames the file into place.
    func close() throws {
        try flush()
        guard let handle else { return }
        self.handle = nil
        do {
            try handle.close()
            try AtomicCommit.commit(partialPath, to: path)
        } catch {
            throw AnalysisError(code: "pseudobulk.write", "could not finish \(path): \(error.localizedDescription)")
        }
    }
}
