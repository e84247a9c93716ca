/// One dataset version as the CELLxGENE Discover curation API describes it (`GET
/// /curation/v1/datasets`, a collection's `datasets`, a dataset's `versions`): what Sluice reads
/// of it. Keys are decoded from snake case (``CatalogClient``).
struct CellxgeneDataset: Decodable, Sendable {
    /// An ontology term: its label and id (`{"label": "blood", "ontologyTermId": "UBERON:0000178"}`).
    struct Term: Decodable, Sendable {
        var label: String?
        var ontologyTermId: String?
    }

    /// A downloadable file of the dataset (`H5AD`, `RDS`).
    struct Asset: Decodable, Sendable {
        var filetype: String?
        var filesize: Double?
        var url: String?
        /// Older answers named the address so (`presigned_url`).
        var presignedUrl: String?
    }

    var datasetId: String
    var datasetVersionId: String?
    var collectionId: String?
    var title: String?
    var cellCount: Int?
    var organism: [Term]?
    var tissue: [Term]?
    var disease: [Term]?
    var assay: [Term]?
    var cellType: [Term]?
    var assets: [Asset]?

    /// The H5AD asset, when it has an address.
    var h5ad: (url: String, bytes: Int64?)? {
        for asset in assets ?? [] where asset.filetype?.uppercased() == "H5AD" {
            if let url = asset.url ?? asset.presignedUrl {
                return (url, asset.filesize.map { Int64($0) })
            }
        }
        return nil
    }

    /// The terms of one metadata field, by the query's name for it.
    func terms(_ field: CellxgeneQuery.Field) -> [Term] {
        switch field {
        case .organism: organism ?? []
        case .tissue: tissue ?? []
        case .disease: disease ?? []
        case .assay: assay ?? []
        case .cellType: cellType ?? []
        }
    }

    /// The metadata that travels with the item into logs, reports and the corpus manifest:
    /// labels of a field joined with `; `.
    var metadata: [String: String] {
        var fields: [String: String] = ["dataset_id": datasetId]
        fields["dataset_version_id"] = datasetVersionId
        fields["collection_id"] = collectionId
        fields["title"] = title
        fields["cell_count"] = cellCount.map(String.init)
        for field in CellxgeneQuery.Field.allCases where field != .cellType {
            let labels = terms(field).compactMap { $0.label ?? $0.ontologyTermId }
            if !labels.isEmpty { fields[field.rawValue] = labels.joined(separator: "; ") }
        }
        return fields
    }
}
