import Foundation
import SluiceFormats
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// Tokens, metrics and filters equal the numpy reference (`scripts/reference/make_preprocess_reference.py`)
/// for every kept cell, on real 10x counts and on the mapping fixture — ties included.
@Suite("Rank-value tokens against the numpy reference")
struct TokenReferenceTests {
    struct Reference: Decodable {
        struct Options: Decodable {
            var hgnc: String?
            var top_genes: Int
            var min_genes: Int?
            var min_counts: Double?
            var max_pct_mito: Double?
        }
        struct Cell: Decodable {
            var cell_id: String
            var n_counts: Double
            var n_genes: Int32
            var pct_mito: Double
            var input_ids: [Int32]
            var length: Int32
        }
        var input: String
        var options: Options
        var vocab_size: Int
        var dropped_cells: Int
        var cells: [Cell]
    }

    static let references = [
        "tenx_v3_nohgnc_top2048", "tenx_v3_nohgnc_top20", "tenx_v3_hgnc_top20", "tenx_v3_hgnc_filtered",
        "mapping_cases_top5", "mapping_cases_filtered",
    ]

    @Test("identical tokens for every cell", arguments: references)
    func matchesReference(_ name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("preprocess/\(name).tokens.json")))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        let source = try CellSourceOpener.open(Fixtures.path(reference.input))

        let plan: GenePlan
        let vocabulary: Vocabulary
        if let hgnc = reference.options.hgnc {
            let table = try HGNCTable(path: Fixtures.path(hgnc))
            vocabulary = Vocabulary(hgnc: table)
            plan = GenePlan(genes: source.genes, mapper: GeneMapper(table: table))
        } else {
            vocabulary = Vocabulary(datasetGeneIDs: source.genes.index)
            plan = GenePlan(genes: source.genes, vocabulary: vocabulary)
        }
        #expect(vocabulary.size == reference.vocab_size)

        var options = ConvertOptions()
        options.topGenes = reference.options.top_genes
        options.chunkSize = 97  // several batches, none aligned to anything
        options.filter = CellFilter(
            minGenes: reference.options.min_genes, minCounts: reference.options.min_counts,
            maxPercentMitochondrial: reference.options.max_pct_mito)
        options.medianValueBudget = 500  // forces refine passes on this small data
        let scratch = try TemporaryDirectory()
        let result = try DatasetConverter(source: source, plan: plan, options: options).run(into: scratch.path, metadata: [:])
        #expect(result.droppedCells == reference.dropped_cells)

        var rows: [(String, [Int32], Int32, Double, Int32, Double)] = []
        for file in result.chunkFiles {
            let table = try ParquetReader(path: file).readAll()
            guard case .string(let ids) = table.columns[0].values, case .int32(let tokens) = table.columns[1].values,
                let offsets = table.columns[1].listOffsets, case .int32(let lengths) = table.columns[2].values,
                case .double(let counts) = table.columns[3].values, case .int32(let genes) = table.columns[4].values,
                case .double(let mito) = table.columns[5].values
            else {
                Issue.record("unexpected column types in \(file)")
                return
            }
            for r in 0..<table.rowCount {
                rows.append((ids[r], Array(tokens[offsets[r]..<offsets[r + 1]]), lengths[r], counts[r], genes[r], mito[r]))
            }
        }
        try #require(rows.count == reference.cells.count)
        var mismatches = 0
        for (row, cell) in zip(rows, reference.cells) {
            let same =
                row.0 == cell.cell_id && row.1 == cell.input_ids && row.2 == cell.length && row.3 == cell.n_counts
                && row.4 == cell.n_genes && row.5 == cell.pct_mito
            if !same {
                mismatches += 1
                if mismatches <= 3 { Issue.record("\(name) cell \(cell.cell_id): got \(row.1), expected \(cell.input_ids)") }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(rows.count) cells differ")
    }
}
