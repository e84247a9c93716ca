import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines

/// `sluice vocabulary`: the vocabulary a run's items share, kept in its ledger.
struct VocabularyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocabulary",
        abstract: "Print the vocabulary a run's items share, as a token dictionary (JSON: gene → token id).",
        discussion: """
            A preprocess stage given neither vocabulary: nor hgnc: keeps one vocabulary for all the \
            run's items in the ledger, appending each gene the first time an item has it. This prints \
            it as it stands — a superset of every item's vocab.json — in the form --vocabulary and \
            vocabulary: take, so that a later run or another corpus can tokenize with the same ids.
            """)

    @Argument(help: "The pipeline file or its workspace folder.") var target: String
    @Option(help: "The preprocess stage whose vocabulary to print (its name in the pipeline).") var stage = "preprocess"
    @Option(help: "Write it to this file (atomically) instead of standard output.") var out: String?

    func run() async throws {
        let (_, ledger, _) = try await WorkspaceArgument.resolve(target)
        let tokens = try await ledger.tokens(in: stage)
        guard !tokens.isEmpty else {
            throw ValidationError(
                "the run has no vocabulary of a stage named \(stage): no item has reached it yet, or it was given vocabulary: or hgnc:")
        }
        let data = try Vocabulary.tokenDictionary(genes: tokens)
        if let out {
            try AtomicCommit.write(data, to: out)
            print("\(tokens.count) genes (ids \(tokens.first!.token)–\(tokens.last!.token)) in \(out)")
        } else {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
