/// The answer of `GET /curation/v1/datasets/{id}/versions`: documented as `{"datasets": […]}`,
/// newest first; a bare list is taken too.
struct CellxgeneVersions: Decodable, Sendable {
    var datasets: [CellxgeneDataset]

    init(from decoder: any Decoder) throws {
        if let list = try? decoder.singleValueContainer().decode([CellxgeneDataset].self) {
            datasets = list
        } else {
            datasets = try decoder.container(keyedBy: Keys.self).decode([CellxgeneDataset].self, forKey: .datasets)
        }
    }

    private enum Keys: String, CodingKey { case datasets }
}
