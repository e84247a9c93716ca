import Foundation
import SluiceEngine
import SluiceKernels

/// `output/<dataset>/report.json`: what was done to one dataset, with its counts. It holds no
/// timings and no absolute paths, so the same input and options give the same bytes in any
/// workspace, after any number of crashes (the dataset's log has the timings).
public struct PreprocessReport: Sendable, Codable {
    public struct Options: Sendable, Codable {
        public var chunk_size: Int
        public var top_genes: Int
        public var test_size: Double
        public var split_by: String?
        public var seed: UInt64
        public var min_genes: Int?
        public var min_counts: Double?
        public var max_pct_mito: Double?
        public var hgnc: String?
        /// The token dictionary's file name (its path may differ between runs; the report's
        /// vocabulary checksum names its content).
        public var vocabulary: String?
        /// The median table's SHA-256.
        public var medians_sha256: String?
        public var gene_id_column: String?
        public var preset: String?

        init(_ options: PreprocessOptions) {
            chunk_size = options.convert.chunkSize
            top_genes = options.convert.topGenes
            test_size = options.skipTrainTestSplit ? 0 : options.testSize
            split_by = options.splitBy
            seed = options.seed
            min_genes = options.convert.filter.minGenes
            min_counts = options.convert.filter.minCounts
            max_pct_mito = options.convert.filter.maxPercentMitochondrial
            hgnc = options.hgncPath
            vocabulary = options.vocabularyPath.map { ($0 as NSString).lastPathComponent }
            medians_sha256 = options.mediansPath.flatMap { try? Checksum.of(file: $0) }
            gene_id_column = options.geneIDColumn
            preset = options.preset?.rawValue
        }
    }

    public var dataset: String
    /// The input file's name (the log has its path).
    public var input: String
    public var vocabularySHA256: String
    public var vocabularySize: Int
    public var mapping: GeneMapper.Summary?
    /// Genes that repeat an id (summed into one token), when counted.
    public var duplicateGeneIDs: Int?
    public var convert: DatasetConverter.Result
    public var clean: MetadataCleaner.Result
    public var split: CorpusSplitter.Result
    public var options: Options
}
