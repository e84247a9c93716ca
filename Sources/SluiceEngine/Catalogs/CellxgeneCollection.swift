/// The answer of `GET /curation/v1/collections/{id}`: the collection and its datasets.
struct CellxgeneCollection: Decodable, Sendable {
    var name: String?
    var datasets: [CellxgeneDataset]
}
