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

    /// A committed version.
    struct Version {
        var number: Int
        var folder: String
        var record: Record
    }

    let folder: String
    /// Versions kept: the last `keepLast`, and every `keepEvery`-th (0: none besides).
    let keepLast: Int
    let keepEvery: Int
    static let recordFile = "version.json"

    /// The latest version, after what a crash between a commit and its pruning left is pruned
    /// (counted as freed in `checkpoints/`).
    func start(context: StageContext) async throws -> Version? {
        try await context.withRoom(0, in: .checkpoints, folder: folder) { _ = try prune(workspace: context.workspace) }
        return try latest()
    }

    /// Makes the version after `latest` for the batch `items` (those it has not seen): `make`
    /// writes it into the partial folder it is given; it is then committed with its record and
    /// older versions pruned — all within `room` reserved in `checkpoints/` (the latest is on the
    /// books already). Returns the new version and the numbers of those deleted.
    func next(
        after latest: Version?, items: [String], room: Int64, context: StageContext, _ make: (_ partial: String) async throws -> Void
    ) async throws -> (version: Version, deleted: [Int]) {
        try await context.withRoom(room, in: .checkpoints, folder: folder) {
            let number = (latest?.number ?? 0) + 1
            let partial = try partial(number, workspace: context.workspace)
            try await make(partial)
            let record = Record(version: number, batches: (latest?.record.batches ?? []) + [items])
            try commit(partial, record: record)
            let deleted = try prune(workspace: context.workspace)
            return (Version(number: number, folder: folder + "/" + Self.name(number), record: record), deleted)
        }
    }

    /// Committed versions, oldest first.
    func committed() throws -> [(number: Int, folder: String)] {
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder).compactMap { name in
            guard name.hasPrefix("v"), name.count == 7, let number = Int(name.dropFirst()) else { return nil }
            return (number, folder + "/" + name)
        }.sorted { $0.number < $1.number }
    }

    /// The latest committed version and its record; nil before the first.
    func latest() throws -> Version? {
        guard let last = try committed().last else { return nil }
        let path = last.folder + "/" + Self.recordFile
        guard let data = FileManager.default.contents(atPath: path), let record = try? JSONDecoder().decode(Record.self, from: data) else {
            throw StageError(code: "stage.version", "\(path) is missing or unreadable: the stage's versions were changed by hand")
        }
        return Version(number: last.number, folder: last.folder, record: record)
    }

    /// The folder version `number` is written in before its commit, emptied first (what a crashed
    /// attempt left).
    private func partial(_ number: Int, workspace: Workspace) throws -> String {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".partial") {
            try workspace.remove(folder + "/" + name)
        }
        let path = AtomicCommit.partialPath(of: Self.name(number))
        try FileManager.default.createDirectory(atPath: folder + "/" + path, withIntermediateDirectories: true)
        return folder + "/" + path
    }

    /// Writes `record` into the partial folder and commits it as its version.
    private func commit(_ partial: String, record: Record) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(record).write(to: URL(fileURLWithPath: partial + "/" + Self.recordFile))
        try AtomicCommit.commit(partial, to: folder + "/" + Self.name(record.version))
    }

    /// Deletes committed versions other than the last `keepLast` and every `keepEvery`-th,
    /// oldest first; returns their numbers. Called after each commit, and before each batch for
    /// what a crash between a commit and its pruning left.
    private func prune(workspace: Workspace) throws -> [Int] {
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
