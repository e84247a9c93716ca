import Foundation
import SluiceEngine
import Subprocess

/// The vocabulary the items of a `sluice run` share when the pipeline gives none: kept in the
/// ledger, append-only, so that a gene has one id in every item's shards whichever item met it
/// first, on whichever worker, across crashes (``Ledger/assignTokens(_:in:first:)``).
///
/// Before an item is tokenized its gene ids are read (`sluice preprocess gene-ids`, in its own
/// process, as every read of a cells file in the run process is) and the new ones get their ids;
/// the builder is then handed the vocabulary up to the highest id among the item's genes as a
/// token dictionary. That prefix is the same on every attempt of the item, and contains every
/// earlier item's, so each item's `vocab.json` (and the checksum in its shards' metadata) is the
/// vocabulary as it stood for it, a superset of the ones before.
struct RunVocabulary {
    /// The ledger's name for the vocabulary: the stage's.
    let name: String
    let executable: String
    /// What the builder reads the file with (`--matrix`, `--gene-id-column`).
    let arguments: [String]

    /// The id of the first gene, after ``Vocabulary/specialTokens``.
    static let firstGene = Int32(Vocabulary.specialTokens.count)

    /// The token dictionary for `file` as JSON bytes: its genes given ids in the ledger first.
    func dictionary(for file: String, item: String, context: StageContext) async throws -> Data {
        let ids = try await geneIDs(of: file, item: item)
        let assigned = try await context.assignTokens(ids, in: name, first: Self.firstGene)
        let last = assigned.values.max() ?? Self.firstGene - 1
        return try Vocabulary.tokenDictionary(genes: try await context.tokens(in: name).filter { $0.token <= last })
    }

    /// The file's gene ids as the builder looks them up.
    private func geneIDs(of file: String, item: String) async throws -> [String] {
        let result = try await Subprocess.run(
            .program(executable), arguments: Arguments(["preprocess", "gene-ids", file] + arguments), output: .string(limit: 256 << 20),
            error: .string(limit: 1 << 20))
        if case .signaled(let signal) = result.terminationStatus {
            // As a crash of the builder itself would be reported (see CommandStage).
            let outside = CommandStage.signalsFromOutside.contains(signal)
            throw StageError(
                code: outside ? "command.killed" : "preprocess.gene-ids",
                "\(self.executable) preprocess gene-ids was killed by signal \(signal) reading \(item)'s gene ids for the run's vocabulary", transient: outside)
        }
        guard result.terminationStatus.isSuccess, let ids = try? JSONDecoder().decode([String].self, from: Data(result.standardOutput.utf8)) else {
            let reason = result.standardError.split(whereSeparator: \.isNewline).last.map(String.init) ?? "\(result.terminationStatus)"
            throw StageError(code: "preprocess.gene-ids", "\(item): its gene ids could not be read for the run's vocabulary: \(reason)")
        }
        return ids
    }
}
