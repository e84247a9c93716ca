import Foundation

/// What a `cellxgene:` entry of `items:` asks CELLxGENE Discover for: a collection, a list of
/// datasets, or every public dataset; narrowed by metadata (each field matches when one of the
/// dataset's terms has a given label, case aside, or ontology id), by cell count and by number.
public struct CellxgeneQuery: Sendable, Codable, Hashable {
    /// A metadata field a query can narrow by, as the pipeline file and the API name it.
    public enum Field: String, Sendable, Codable, CodingKeyRepresentable, CaseIterable {
        case organism, tissue, disease, assay
        case cellType = "cell_type"
    }

    /// The service's address (`api:`; default the public Discover API).
    public var api: String
    /// The collection whose datasets are taken (`collection:`).
    public var collection: String?
    /// The datasets taken, each at its newest version (`datasets:`).
    public var datasets: [String]?
    /// Labels or ontology ids per field; a dataset must match every field given.
    public var filters: [Field: [String]]
    /// Datasets with fewer cells are left out (`min_cells:`).
    public var minCells: Int?
    /// At most this many datasets, the first in the service's order (`max_datasets:`).
    public var maxDatasets: Int?
    /// The metadata field whose labels name the items' groups (`group_by:`), e.g. `organism`.
    public var groupBy: Field?
    /// A PEM file of the certificate authorities to trust instead of the system's (`ca_file:`);
    /// not part of the query's key.
    public var caFile: String?

    private enum CodingKeys: String, CodingKey {
        case api, collection, datasets, filters, minCells, maxDatasets, groupBy
    }

    /// The public CELLxGENE Discover API.
    public static let publicAPI = "https://api.cellxgene.cziscience.com"

    /// The keys a `cellxgene:` mapping may hold.
    static let keys = ["api", "collection", "datasets", "min_cells", "max_datasets", "group_by", "ca_file"] + Field.allCases.map(\.rawValue)

    /// Reads a `cellxgene:` mapping; `absolute` resolves paths against the pipeline's folder.
    init(_ node: ConfigNode, absolute: (String) -> String) throws {
        let keys = try node.mapping(known: Self.keys)
        caFile = try keys["ca_file"]?.readableFile("cellxgene ca_file:", absolute: absolute)
        api = try keys["api"]?.httpAddress("cellxgene api:") ?? Self.publicAPI
        collection = try keys["collection"]?.string()
        datasets = try keys["datasets"]?.strings()
        if collection != nil && datasets != nil {
            throw node.error(.badValue, "cellxgene: give collection: or datasets:, not both")
        }
        for id in [collection].compactMap({ $0 }) + (datasets ?? []) where !Self.isIdentifier(id) {
            throw node.error(.badValue, "cellxgene: '\(id)' is not a CELLxGENE id (letters, digits and '-')")
        }
        if datasets?.isEmpty == true { throw node.error(.badValue, "cellxgene datasets: names no dataset") }
        filters = [:]
        for field in Field.allCases {
            if let values = try keys[field.rawValue]?.strings() {
                guard !values.isEmpty, values.allSatisfy({ !$0.isEmpty }) else {
                    throw node.error(.badValue, "cellxgene \(field.rawValue): needs a label or ontology id")
                }
                filters[field] = values
            }
        }
        minCells = try keys["min_cells"]?.int()
        maxDatasets = try keys["max_datasets"]?.int(atLeast: 1)
        groupBy = try keys["group_by"].map { node in
            let name = try node.string()
            guard let field = Field(rawValue: name), field != .cellType else {
                throw node.error(.badValue, "cellxgene group_by: '\(name)' is not one of organism, tissue, disease, assay")
            }
            return field
        }
    }

    /// Whether `dataset` passes the query's metadata and cell-count filters.
    func matches(_ dataset: CellxgeneDataset) -> Bool {
        if let minCells, (dataset.cellCount ?? 0) < minCells { return false }
        for (field, wanted) in filters {
            let wantedSet = Set(wanted.map { $0.lowercased() })
            let found = dataset.terms(field).contains { term in
                [term.label, term.ontologyTermId].contains { $0.map { wantedSet.contains($0.lowercased()) } ?? false }
            }
            if !found { return false }
        }
        return true
    }

    /// Whether `text` can be put in a URL path as it is (ids are UUIDs).
    private static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
}
