import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines
import SluiceTestSupport
import Testing

/// HGNC mapping, development-stage ages and dataset names against their reference tables.
@Suite("Preprocess building blocks")
struct GeneMappingTests {
    struct MappingReference: Decodable {
        struct Gene: Decodable {
            var name: String
            var status: String
            var symbol: String?
            var hgnc_id: String?
            var ensembl_gene_id: String?
            var via: String?
        }
        var genes: [Gene]
        var counts: [String: Int]
    }

    @Test("every mapping case resolves as the reference says")
    func mappingCases() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("preprocess/mapping_cases.expected.json")))
        let reference = try JSONDecoder().decode(MappingReference.self, from: data)
        let table = try HGNCTable(path: Fixtures.path("preprocess/hgnc_subset.tsv"))
        let mapper = GeneMapper(table: table)
        let source = try CellSourceOpener.open(Fixtures.path("preprocess/mapping_cases.h5ad"))
        #expect(source.genes.index == reference.genes.map(\.name))
        let (mappings, summary) = mapper.map(genes: source.genes.index.map { [$0] })
        for (mapping, expected) in zip(mappings, reference.genes) {
            #expect(mapping.status.rawValue == expected.status, "\(expected.name)")
            #expect(mapping.via?.rawValue == expected.via, "\(expected.name)")
            let gene = mapping.gene.map { table.genes[$0] }
            #expect(gene?.symbol == expected.symbol, "\(expected.name)")
            #expect(gene?.id == expected.hgnc_id, "\(expected.name)")
            #expect(gene?.ensemblID == expected.ensembl_gene_id, "\(expected.name)")
        }
        #expect(summary.mapped == reference.counts["mapped"])
        #expect(summary.unmapped == reference.counts["unmapped"])
        #expect(summary.ambiguous == reference.counts["ambiguous"])
    }

    @Test("withdrawn HGNC entries are ignored and the vocabulary is in HGNC-id order")
    func vocabulary() throws {
        let table = try HGNCTable(path: Fixtures.path("preprocess/hgnc_subset.tsv"))
        let numbers = table.genes.map(\.number)
        #expect(numbers == numbers.sorted())
        let vocabulary = Vocabulary(hgnc: table)
        #expect(vocabulary.genes.first?.token == 4)
        #expect(vocabulary.special_tokens == ["<pad>": 0, "<mask>": 1, "<cls>": 2, "<eos>": 3])
        let again = try Vocabulary(hgnc: table).checksum()
        #expect(try vocabulary.checksum() == again)
    }

    struct StageTable: Decodable {
        struct Case: Decodable {
            var label: String
            var age_years: Double?
        }
        var cases: [Case]
    }

    /// CELLxGENE's var: Ensembl ids in the index, symbols in `feature_name`.
    @Test("gene symbols come from CELLxGENE's feature_name when there is no gene_symbols column")
    func featureNameSymbols() {
        let genes = Frame(
            index: ["ENSG00000198804", "ENSG00000141510", "ENSG00000198712"], indexName: "_index",
            columns: [FrameColumn(name: "feature_name", values: .strings(["MT-CO1", "TP53", "MT-CO2"]))])
        let vocabulary = Vocabulary(datasetGeneIDs: genes.index)
        let plan = GenePlan(genes: genes, vocabulary: vocabulary)
        #expect(plan.mitochondrial == [true, false, true])
        #expect(plan.tokenOfGene.allSatisfy { $0 != nil })
    }

    @Test("development stage labels give the reference ages")
    func developmentStages() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("preprocess/development_stage_ages.json")))
        let table = try JSONDecoder().decode(StageTable.self, from: data)
        #expect(table.cases.count >= 25)
        for stage in table.cases {
            #expect(DevelopmentStage.ageInYears(stage.label) == stage.age_years, "\(stage.label)")
        }
    }

    @Test(
        "dataset names are sanitized and kept distinct",
        arguments: [
            (["my dataset.h5ad"], ["my_dataset"]),
            (["dataset@special.h5ad"], ["dataset_special"]),
            (["__a  b__.h5ad", "a b.h5ad", "a@b.h5ad"], ["a_b", "a_b_2", "a_b_3"]),
        ])
    func names(_ input: [String], _ expected: [String]) {
        #expect(DatasetName.distinctNames(input) == expected)
    }
}
