import Foundation

/// A `cellxgene:` entry of `items:`, resolved through the CELLxGENE Discover curation API: one
/// item per dataset, named by its dataset id, pinned to the dataset version the API gave, with
/// its H5AD file's address and size and the dataset's metadata.
public struct CellxgeneCatalog: ItemCatalog {
    /// What the entry asks for.
    public var query: CellxgeneQuery
    /// Where the entry is in the pipeline file, for messages.
    public var line: Int?

    /// The catalog for `query`, written at `line` of the pipeline file.
    public init(query: CellxgeneQuery, line: Int?) {
        self.query = query
        self.line = line
    }

    public var key: String { Self.key("cellxgene", query) }

    public var label: String { Self.label("cellxgene", line: line) }

    public func resolve() async throws -> [ItemSpec] {
        try await CatalogClient.session("CELLxGENE Discover", base: query.api, caFile: query.caFile, label: label, resolve(with:))
    }

    private func resolve(with client: CatalogClient) async throws -> [ItemSpec] {
        let candidates: [CellxgeneDataset]
        if let collection = query.collection {
            candidates = try await client.get("/curation/v1/collections/\(collection)", as: CellxgeneCollection.self).datasets
        } else if let ids = query.datasets {
            var newest: [CellxgeneDataset] = []
            for id in ids {
                let versions = try await client.get("/curation/v1/datasets/\(id)/versions", as: CellxgeneVersions.self).datasets
                guard let first = versions.first else {
                    throw CatalogError(.notFound, "CELLxGENE Discover lists no version of dataset \(id)")
                }
                newest.append(first)
            }
            candidates = newest
        } else {
            candidates = try await client.get("/curation/v1/datasets", as: [CellxgeneDataset].self)
        }
        let chosen = candidates.filter(query.matches).prefix(query.maxDatasets ?? .max)
        guard !chosen.isEmpty else {
            throw CatalogError(.empty, "\(label): no dataset of the \(candidates.count) CELLxGENE Discover listed matches the query")
        }
        return try chosen.map { dataset in
            guard let asset = dataset.h5ad else {
                throw CatalogError(.noAsset, "CELLxGENE dataset \(dataset.datasetId) has no H5AD file with an address")
            }
            let group = query.groupBy.map { dataset.metadata[$0.rawValue] ?? "unknown" }
            return ItemSpec(name: dataset.datasetId, sources: [asset.url], size: asset.bytes, group: group, metadata: dataset.metadata)
        }
    }
}
