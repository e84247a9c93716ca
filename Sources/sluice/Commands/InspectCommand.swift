import ArgumentParser
import Foundation
import SluiceFormats

/// `sluice inspect FILE`: what a file holds, before you process it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a file's format, shape, storage and metadata columns.",
        discussion: """
            Reads h5ad, 10x Genomics HDF5, 10x Matrix Market folders, Loom and Parquet files (format \
            detected by content). Only the first few rows are read, so this is quick on any size of file.
            """)

    @Argument(help: "The file (or Matrix Market folder) to inspect.")
    var file: String

    @Option(help: "Which matrix to describe: X (default), raw, or a layer name.")
    var matrix: String?

    @Option(parsing: .unconditional, help: "How many rows of metadata to show.")
    var preview: Int = 5

    @Flag(help: "Print JSON instead of text, for scripts.")
    var json = false

    @OptionGroup var features: FeatureTypesOption

    func validate() throws {
        guard preview >= 0 else { throw ValidationError("--preview must be 0 or more, not \(preview)") }
    }

    func run() throws {
        if try FormatDetector.detect(file) == .parquet {
            let summary = try ParquetFileSummary(path: file, firstRows: preview)
            print(json ? try Self.json(summary) : summary.text)
            return
        }
        let summary = try CellSourceSummary(CellSourceOpener.open(file, matrix: matrix, features: features.selection), preview: preview)
        print(json ? try Self.json(summary) : Self.render(summary))
    }

    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func render(_ s: CellSourceSummary) -> String {
        var lines: [String] = []
        lines.append("\(s.path)")
        lines.append("  format      \(s.format)")
        lines.append("  shape       \(s.cells) cells × \(s.genes) genes")
        var storage = "\(s.matrix.layout), \(s.matrix.valueType)"
        if let stored = s.matrix.storedCount {
            let density = s.cells > 0 && s.genes > 0 ? Double(stored) / (Double(s.cells) * Double(s.genes)) * 100 : 0
            storage += ", \(stored) stored values (\(String(format: "%.2f", density))% dense)"
        }
        lines.append("  matrix      \(storage)")
        let compression = s.matrix.compression.isEmpty ? "none" : s.matrix.compression.joined(separator: " + ")
        var chunking = s.matrix.chunkShape.map { "chunks of \($0.map(String.init).joined(separator: " × "))" } ?? "contiguous"
        if s.matrix.parallelDecompression { chunking += ", inflated in parallel" }
        lines.append("  compression \(compression); \(chunking)")
        if !s.otherMatrices.isEmpty { lines.append("  also        \(s.otherMatrices.joined(separator: ", "))") }
        if let excluded = s.excludedFeatures, !excluded.isEmpty {
            let counts = excluded.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            lines.append("  left out    \(counts) features (--feature-types all keeps them)")
        }
        lines.append("")
        lines.append("  cells (obs), index \(s.obsIndexName): \(s.firstCellNames.joined(separator: ", "))")
        lines.append(contentsOf: table(s.obs))
        lines.append("")
        lines.append("  genes (var), index \(s.varIndexName): \(s.firstGeneNames.joined(separator: ", "))")
        lines.append(contentsOf: table(s.var))
        return lines.joined(separator: "\n")
    }

    private static func table(_ columns: [CellSourceSummary.Column]) -> [String] {
        guard !columns.isEmpty else { return ["    (no columns)"] }
        let width = min(28, columns.map(\.name.count).max() ?? 0)
        return columns.map { column in
            var kind = column.kind.rawValue + (column.nullable && column.kind != .categorical ? "?" : "")
            if let count = column.categoryCount { kind += "(\(count))" }
            let values = column.firstValues.map { $0 ?? "NA" }.joined(separator: ", ")
            let name = column.name.padding(toLength: max(width, column.name.count), withPad: " ", startingAt: 0)
            return "    \(name)  \(kind.padding(toLength: 16, withPad: " ", startingAt: 0)) \(values.prefix(100))"
        }
    }
}
