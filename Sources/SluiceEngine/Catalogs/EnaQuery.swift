import Foundation

/// What an `ena:` entry of `items:` asks the ENA Portal API for: the sequencing runs of study,
/// sample, experiment or run accessions, one item per run, grouped by a column of the file
/// report (the organism by default).
public struct EnaQuery: Sendable, Codable, Hashable {
    /// The Portal API's address (`api:`; default the public one).
    public var api: String
    /// Study (PRJ…, SRP…/ERP…), sample (SAM…, SRS…), experiment (SRX…) or run (SRR…/ERR…) accessions.
    public var accessions: [String]
    /// The file report column whose value names a run's group (`group_by:`).
    public var groupBy: String
    /// A PEM file of the certificate authorities to trust instead of the system's; not part of the key.
    public var caFile: String?

    private enum CodingKeys: String, CodingKey { case api, accessions, groupBy }

    /// The public ENA Portal API.
    public static let publicAPI = "https://www.ebi.ac.uk/ena/portal/api"
    /// The file report's columns Sluice asks for; the others travel as metadata.
    static let fields = [
        "run_accession", "fastq_ftp", "fastq_bytes", "fastq_md5", "study_accession", "sample_accession", "experiment_accession",
        "scientific_name", "tax_id", "library_layout", "instrument_model", "read_count",
    ]

    /// Reads an `ena:` mapping; `absolute` resolves paths against the pipeline's folder.
    init(_ node: ConfigNode, absolute: (String) -> String) throws {
        let keys = try node.mapping(known: ["api", "accessions", "group_by", "ca_file"])
        api = try keys["api"]?.httpAddress("ena api:") ?? Self.publicAPI
        guard let list = try keys["accessions"]?.strings(), !list.isEmpty else {
            throw node.error(.missingKey, "ena: needs accessions: (study, sample, experiment or run accessions)")
        }
        for accession in list where accession.isEmpty || !accession.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            throw node.error(.badValue, "ena: '\(accession)' is not an accession (letters and digits, e.g. PRJNA257197 or SRR1553500)")
        }
        accessions = list
        groupBy = try keys["group_by"]?.string() ?? "scientific_name"
        guard Self.fields.contains(groupBy), !groupBy.hasPrefix("fastq_") else {
            throw node.error(.badValue, "ena group_by: '\(groupBy)' is not one of \(Self.fields.filter { !$0.hasPrefix("fastq_") }.joined(separator: ", "))")
        }
        caFile = try keys["ca_file"]?.readableFile("ena ca_file:", absolute: absolute)
    }
}
