import Foundation
public import SluiceFormats

/// Where a streaming analysis records its state between chunks of cells, so that a run stopped
/// at any moment — a job's time limit, a preemption, `kill -9` — resumes from its last checkpoint
/// rather than from the first cell, on any machine that sees the folder, and writes the same bytes
/// an undisturbed run writes.
///
/// One file, `<folder>/<name>.state`, a ``StateArchive`` written atomically and durably: the
/// analysis's own sections plus the ``fingerprint`` it was written under. A state written under
/// another fingerprint (another input, other settings) is ignored and replaced.
///
/// While a state is replaced, the old and the new file exist together: a checkpoint is written
/// only when both fit in ``limit`` (the bytes reserved for checkpoints), else it is skipped and
/// the previous one kept — the disk budget is never exceeded for the sake of a checkpoint.
public struct AnalysisCheckpoint: Sendable {
    /// The folder of the state file (created when needed).
    public var folder: String
    /// The analysis's name, which names the file (e.g. `pseudobulk`).
    public var name: String
    /// Wall time between two checkpoints.
    public var interval: Duration
    /// What must match for a saved state to be resumed: the input and every setting that
    /// changes the output or the chunks (``fingerprint(input:settings:)``).
    public var fingerprint: String
    /// The most bytes the state files may take at once (nil: no limit).
    public var limit: Int64?

    public init(folder: String, name: String, interval: Duration, fingerprint: String, limit: Int64? = nil) {
        self.folder = folder
        self.name = name
        self.interval = interval
        self.fingerprint = fingerprint
        self.limit = limit
    }

    /// The state file.
    public var file: String { folder + "/" + name + ".state" }

    /// The fingerprint of `input` (its name, size and modification time) under `settings`.
    public static func fingerprint(input: String, settings: [String]) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: input)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return ([(input as NSString).lastPathComponent, "\(size)", "\(modified)"] + settings).joined(separator: "|")
    }

    /// The saved state, when there is one written under this fingerprint.
    public func load() throws -> StateArchive? {
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let archive = try StateArchive(contentsOf: file)
        guard try archive.json("fingerprint", as: String.self) == fingerprint else { return nil }
        return archive
    }

    /// Writes `archive` (with the fingerprint added) unless the old and the new state together
    /// would pass ``limit``; returns the bytes written, or nil when skipped.
    public func save(_ archive: StateArchive) throws -> Int64? {
        var archive = archive
        try archive.put("fingerprint", json: fingerprint)
        let bytes = Int64(archive.byteCount)
        let old = ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.int64Value ?? 0
        if let limit, old + bytes > limit { return nil }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try archive.write(to: file)
        return bytes
    }

    /// A file of the analysis's own beside the state (`<folder>/<name>.<suffix>`), removed with it.
    public func sideFile(_ suffix: String) -> String { folder + "/" + name + "." + suffix }

    /// Removes the state and the side files (the analysis is done), and the folder when that
    /// leaves it empty.
    public func remove() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for entry in entries where entry.hasPrefix(name + ".") { try? FileManager.default.removeItem(atPath: folder + "/" + entry) }
        try? FileManager.default.removeItem(atPath: folder)  // only when empty
    }
}
