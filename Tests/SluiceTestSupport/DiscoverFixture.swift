import Foundation

/// A CELLxGENE Discover curation API, written as the JSON files a ``SluiceLoopback`` server
/// serves (a folder answers with its `index.json`): `GET /curation/v1/datasets` (every
/// dataset's newest version, newest first), `/curation/v1/datasets/{id}/versions`
/// (`{"datasets": […]}`, newest first) and `/curation/v1/collections/{id}` (the collection with
/// its datasets), shaped as the API's documentation describes them. The API has no paging.
public struct DiscoverFixture: Sendable {
    /// One dataset version.
    public struct Dataset: Sendable {
        public var id: String
        public var version: String
        public var collection: String
        public var title: String
        public var cells: Int
        public var organism: String
        public var tissue: String
        public var disease: String
        /// The H5AD file's address, and its size.
        public var url: String
        public var bytes: Int64

        public init(
            id: String, version: String, collection: String, title: String, cells: Int, organism: String, tissue: String, disease: String,
            url: String, bytes: Int64
        ) {
            self.id = id
            self.version = version
            self.collection = collection
            self.title = title
            self.cells = cells
            self.organism = organism
            self.tissue = tissue
            self.disease = disease
            self.url = url
            self.bytes = bytes
        }

        /// The ontology id the fixture gives a label.
        static func term(_ label: String) -> [[String: String]] {
            let ids = [
                "Homo sapiens": "NCBITaxon:9606", "Mus musculus": "NCBITaxon:10090", "blood": "UBERON:0000178", "lung": "UBERON:0002048",
                "COVID-19": "MONDO:0100096", "normal": "PATO:0000461",
            ]
            return [["label": label, "ontology_term_id": ids[label] ?? "UNKNOWN:0"]]
        }

        /// The dataset as the API answers it.
        var json: [String: Any] {
            [
                "dataset_id": id, "dataset_version_id": version, "collection_id": collection, "title": title, "cell_count": cells,
                "organism": Self.term(organism), "tissue": Self.term(tissue), "disease": Self.term(disease),
                "assay": [["label": "10x 3' v3", "ontology_term_id": "EFO:0009922"]],
                "cell_type": [["label": "T cell", "ontology_term_id": "CL:0000084"]],
                "schema_version": "5.2.0", "is_primary_data": [true], "explorer_url": "https://cellxgene.example/e/\(version).cxg/",
                "assets": [
                    ["filetype": "RDS", "filesize": bytes * 2, "url": url + ".rds"],
                    ["filetype": "H5AD", "filesize": bytes, "url": url],
                ],
            ]
        }
    }

    /// The API's current datasets, newest first.
    public var datasets: [Dataset]
    /// Earlier versions of datasets, by dataset id, newest first.
    public var earlierVersions: [String: [Dataset]] = [:]

    public init(datasets: [Dataset], earlierVersions: [String: [Dataset]] = [:]) {
        self.datasets = datasets
        self.earlierVersions = earlierVersions
    }

    /// Writes the API's files under `root` (the server's root), replacing earlier ones.
    public func write(into root: String) throws {
        let api = (root as NSString).appendingPathComponent("curation/v1")
        try? FileManager.default.removeItem(atPath: api)
        func put(_ value: Any, _ path: String) throws {
            let file = (api as NSString).appendingPathComponent(path)
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]).write(to: URL(fileURLWithPath: file))
        }
        try put(datasets.map(\.json), "datasets/index.json")
        for dataset in datasets {
            try put(["datasets": ([dataset] + (earlierVersions[dataset.id] ?? [])).map(\.json)], "datasets/\(dataset.id)/versions")
        }
        for collection in Set(datasets.map(\.collection)) {
            let members = datasets.filter { $0.collection == collection }
            try put(["collection_id": collection, "name": "Collection \(collection)", "datasets": members.map(\.json)], "collections/\(collection)")
        }
    }
}
