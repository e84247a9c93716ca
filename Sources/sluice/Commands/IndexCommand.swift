import ArgumentParser
import Foundation
import SluicePipelines

/// `sluice index`: a search index over the entities of atlas studies' files.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build and query a search index of cytokines, secreted proteins, genes, cell types, diseases and organs.",
        subcommands: [Build.self, Query.self])

    /// `sluice index build FILES… -o INDEX`.
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Gather the entities of signature matrices, the HGNC table, hierarchies and tables into an index file.",
            discussion: """
                Each file is KIND:PATH or a PATH whose kind is told from it: cytosig (a CytoSig \
                signature matrix: its columns are cytokines, with the genes a family name such as \
                IFN1 stands for), secact (a SecAct matrix: secreted proteins), hgnc (the HGNC \
                complete set: symbols, aliases, previous symbols), hierarchy (L1 L2 …: cell types \
                with their parents), table (a metadata or result table, TSV or CSV: the values of \
                its cell type, disease, organ and tissue columns). A name found in several files is \
                one entry listing them all. The index is one SQLite file (docs/analysis.md).
                """)

        @Argument(help: "The files to index: KIND:PATH or PATH (kinds: cytosig, secact, hgnc, hierarchy, table).") var files: [String]
        @Option(name: .shortAndLong, help: "The index file to write.") var output: String

        func run() async throws {
            var builder = SearchIndexBuilder()
            for file in files { try builder.add(try SearchIndexBuilder.Input(file)) }
            let entities = builder.entities
            try SearchIndex.write(entities, to: output)
            let counts = Dictionary(grouping: entities, by: \.type).mapValues(\.count)
            let summary = SearchEntityType.allCases.compactMap { type in counts[type].map { "\($0) \(type.rawValue)" } }.joined(separator: ", ")
            print("indexed \(entities.count) entities (\(summary.isEmpty ? "none" : summary)) from \(files.count) file(s) into \(output)")
        }
    }

    /// `sluice index query TEXT --index INDEX`.
    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "query",
            abstract: "Find entities by name: exact (100) > prefix (80) > contains (60) > within two edits (40), case aside.",
            discussion: """
                Ties are broken by type (cytokine, secreted_protein, gene, cell_type, disease, \
                organ), then shorter names first, then names in byte order.
                """)

        @Argument(help: "What to look for.") var text: String
        @Option(help: "The index file (from sluice index build).") var index: String
        @Option(help: "Only entities of this type (cytokine, secreted_protein, gene, cell_type, disease, organ).") var type: String?
        @Option(help: "At most this many results.") var limit = 20
        @Flag(help: "Write the results as JSON.") var json = false
        @Option(help: "Run the query this many times and report the mean time of one on standard error (for benchmarks).") var repeats = 1

        func run() async throws {
            var entityType: SearchEntityType?
            if let type {
                guard let known = SearchEntityType(rawValue: type) else {
                    throw ValidationError("--type must be one of \(SearchEntityType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                entityType = known
            }
            let opened = ContinuousClock.now
            let search = try SearchIndex(path: index)
            let openTime = ContinuousClock.now - opened
            var matches: [SearchMatch] = []
            let started = ContinuousClock.now
            for _ in 0..<max(1, repeats) { matches = search.query(text, type: entityType, limit: limit) }
            if repeats > 1 {
                let each = (ContinuousClock.now - started) / max(1, repeats)
                printError(
                    String(
                        format: "%d entities; opened in %.1f ms; one query took %.3f ms (mean of %d)", search.entities.count, openTime / .milliseconds(1),
                        each / .milliseconds(1), repeats))
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(matches), as: UTF8.self))
                return
            }
            for match in matches {
                let entity = match.entity
                print("\(match.score)\t\(entity.type.rawValue)\t\(entity.name)\t\(entity.detail)")
            }
        }
    }
}
