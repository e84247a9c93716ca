import ArgumentParser
import Foundation
import SluiceEngine
import SluiceKernels
import SluicePipelines

/// `sluice analyze cross-atlas`: activity per cell type from several atlases, side by side.
struct CrossAtlasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cross-atlas",
        abstract: "Compare activity across atlases: harmonise, map cell types, meta-analyse, conserved and consistent signatures.",
        discussion: """
            Each ATLAS is the output folder of `sluice analyze activity … --by cell_type` \
            (zscore.tsv; beta.tsv and se.tsv for the meta-analysis; groups.tsv of `sluice analyze \
            pseudobulk` there, or --cell-counts NAME=FILE, for the count-weighted mean) or a z-score \
            table alone, optionally as NAME=PATH (default name: the folder's or file's name).

            Cell types map to common names — a --mapping table (atlas, cell_type, common; atlas * \
            for any) wins, then the same name, the same normalised name (lower case, punctuation \
            a space, plural s dropped), then the most similar normalised name at a similarity of \
            at least --similarity (1 − Levenshtein distance / longer length). Writes harmonized, \
            mapping, meta (inverse-variance fixed effect with Cochran's Q, I², DerSimonian–Laird \
            random effect, count-weighted mean), consistency (CV), correlation (Spearman between \
            atlases), conserved (Jaccard of top-k signatures) and conserved_everywhere; \
            docs/analysis.md gives every column.
            """)

    @Argument(help: "Two or more atlases: activity folders or z-score tables, optionally NAME=PATH.") var atlases: [String]
    @Option(help: "A cell-type mapping table (atlas, cell_type, common).") var mapping: String?
    @Option(parsing: .unconditional, help: "Least similarity of a fuzzy cell-type match.") var similarity = 0.8
    @Option(help: "Cell counts of an atlas: NAME=FILE with group and psbulk_cells columns (repeatable).") var cellCounts: [String] = []
    @Option(parsing: .unconditional, help: "Signatures compared per cell type.") var topK = 10
    @Flag(help: "Also align each atlas's mean and SD per signature to the pooled ones (location/scale).") var adjust = false
    @OptionGroup var format: ExportFormatOption
    @Option(help: "Folder for the result tables (created).") var output: String

    func validate() throws {
        guard atlases.count >= 2 else { throw ValidationError("give at least two atlases") }
        guard topK > 0 else { throw ValidationError("--top-k must be positive") }
        guard (0...1).contains(similarity) else { throw ValidationError("--similarity is between 0 and 1") }
    }

    func run() throws {
        let named = { (text: String) -> (name: String?, path: String) in
            guard let equals = text.firstIndex(of: "="), !FileManager.default.fileExists(atPath: text) else { return (nil, text) }
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
        let counts = Dictionary(
            try cellCounts.map(named).map { name, path in
                guard let name else { throw ValidationError("--cell-counts takes NAME=FILE, the atlas's name and its groups.tsv, not '\(path)'") }
                return (name, path)
            }, uniquingKeysWith: { _, last in last })
        let loaded = try atlases.map(named).map { name, path in
            let label = name ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            return try AtlasActivity.read(path, name: label, cellCounts: counts[label])
        }
        let names = loaded.map(\.name)
        guard Set(names).count == names.count else {
            throw ValidationError("atlases need different names (\(names.joined(separator: ", "))): give them as NAME=PATH")
        }
        let mapping = CellTypeMapping(
            atlases: loaded.map { ($0.name, $0.zscore.columns) }, user: try mapping.map(CellTypeMapping.readUser) ?? [], threshold: similarity)
        var study = CrossAtlasStudy(atlases: loaded, mapping: mapping)
        study.topK = topK
        study.adjust = adjust
        let result = try study.run()
        try format.exportFormat.write(study.tables(result), study: "cross_atlas", to: output, matrix: CrossAtlasStudy.matrix)
        let matched = mapping.entries.filter { $0.method != .unmatched && $0.method != .first }.count
        let heterogeneous = result.meta.filter { $0.result.qPvalue < 0.05 }.count
        try AnalysisReport(
            analysis: "cross-atlas",
            counts: [.init("atlases", loaded.count), .init("cell types matched", matched), .init("meta-analyses", result.meta.count), .init("heterogeneous (Q p < 0.05)", heterogeneous)]
        ).write(toFolder: output)
        print("\(loaded.count) atlases, \(matched) cell types matched to another atlas's, \(result.meta.count) meta-analyses (\(heterogeneous) heterogeneous) → \(output)")
    }
}
