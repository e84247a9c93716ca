import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The trace file of one runner: a header, then one row per task attempt, appended. A run that
/// resumes appends to the file its earlier runs wrote and goes on numbering from their last row.
struct TraceFile {
    let path: String
    private let descriptor: Int32
    /// The number the next row gets.
    private(set) var nextID: Int

    /// Opens (creating) the file for appending; writes the header when it is new or empty.
    init(path: String) throws {
        self.path = path
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StageError(code: "trace.open", "cannot open the trace file \(path): \(String(cString: strerror(errno)))")
        }
        let rows = existing.split(separator: "\n").count
        nextID = max(1, rows)
        if rows == 0 { try write(TaskTrace.columns.joined(separator: "\t") + "\n") }
    }

    /// Appends `traces`, numbered on from the last row.
    mutating func append(_ traces: [TaskTrace]) throws {
        var text = ""
        for trace in traces {
            text += trace.row(taskID: nextID) + "\n"
            nextID += 1
        }
        try write(text)
    }

    func close() { _ = Glibc.close(descriptor) }

    private func write(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw StageError(code: "trace.write", "cannot write the trace file \(path): \(String(cString: strerror(errno)))") }
            bytes = bytes.dropFirst(count)
        }
    }
}
