import Foundation
import SluiceEngine
import SluiceFormats

/// The versions of what a stage builds up batch after batch — a `model` stage's model, a
/// `digest` stage's merged digest — in `checkpoints/<stage>/`: `v000001/`, `v000002/`, … each
/// with a `version.json` naming the batches of items it has seen (``Record``), made as
/// `vNNNNNN.partial/` and committed by one rename after everything in it is on disk — so a crash
/// leaves the last committed version whole, and a batch whose version was committed before the
/// crash let its task complete is found in it and never applied twice.
struct StageVersions {
    /// What a version has seen.
    struct Record: Codable, Equatable {
        var version: Int
        /// Every batch applied, in order, each its items in batch order.
        var batches: [[String]]
        var items: [String] { batches.flatMap { $0 } }
    }

    let folder: String
    static let recordFile = "version.json"

    /// Committed versions, oldest first.
    func committed() throws -> [(number: Int, folder: String)] {
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder).compactMap { name in
            guard name.hasPrefix("v"), name.count == 7, let number = Int(name.dropFirst()) else { return nil }
            return (number, folder + "/" + name)
        }.sorted { $0.number < $1.number }
    }

    /// The latest committed version and its record; nil before the first.
    func latest() throws -> (number: Int, folder: String, record: Record)? {
        guard let last = try committed().last else { return nil }
        let path = last.folder + "/" + Self.recordFile
        guard let data = FileManager.default.contents(atPath: path), let record = try? JSONDecoder().decode(Record.self, from: data) else {
            throw StageError(code: "model.version", "\(path) is missing or unreadable: the model's versions were changed by hand")
        }
        return (last.number, last.folder, record)
    }

    /// The folder version `number` is written in before its commit, emptied first (what a crashed
    /// attempt left).
    func partial(_ number: Int, workspace: Workspace) throws -> String {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".partial") {
            try workspace.remove(folder + "/" + name)
        }
        let path = AtomicCommit.partialPath(of: Self.name(number))
        try FileManager.default.createDirectory(atPath: folder + "/" + path, withIntermediateDirectories: true)
        return folder + "/" + path
    }

    /// Writes `record` into the partial folder and commits it as its version.
    func commit(_ partial: String, record: Record) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(record).write(to: URL(fileURLWithPath: partial + "/" + Self.recordFile))
        try AtomicCommit.commit(partial, to: folder + "/" + Self.name(record.version))
    }

    /// Deletes committed versions other than the last `keepLast` and every `keepEvery`-th (0:
    /// none), oldest first; returns their numbers. Called after each commit, and before each
    /// batch for what a crash between a commit and its pruning left.
    func prune(keepLast: Int, keepEvery: Int, workspace: Workspace) throws -> [Int] {
        let versions = try committed()
        guard let newest = versions.last?.number else { return [] }
        var deleted: [Int] = []
        for version in versions where version.number <= newest - keepLast && !(keepEvery > 0 && version.number % keepEvery == 0) {
            try workspace.remove(version.folder)
            deleted.append(version.number)
        }
        return deleted
    }

    static func name(_ number: Int) -> String { String(format: "v%06d", number) }
}
