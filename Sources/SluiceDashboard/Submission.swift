import Foundation
import SluiceEngine

/// The body of `POST /api/items` (docs/dashboard-api.yaml): an item a web service hands to a
/// running pipeline — a name, the URL to fetch, and what it knows of the file.
struct Submission: Decodable {
    /// The item's name: it names the item's folders, so it must be one safe path component.
    var name: String
    /// An `http` or `https` URL (a dashboard never reads files of its own host for a caller).
    var url: String
    /// Bytes, when known: the budget reserves them before the download starts.
    var size: Int64?
    /// `sha256:HEX` or `md5:HEX`, checked after the download.
    var checksum: String?
    /// The item's group (`group` in the pipeline file).
    var group: String?

    /// The item, checked: every field is refused with one sentence saying why.
    func item() throws -> ItemSpec {
        guard DatasetName.component(name, fallback: "") == name else {
            throw DashboardError(
                .badSubmission,
                "the name '\(name)' names folders: use letters, digits, '-', '_' and '.' only, e.g. '\(DatasetName.component(name, fallback: "item"))'")
        }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host?.isEmpty == false else {
            throw DashboardError(.badSubmission, "the url '\(url)' is not an http or https URL")
        }
        if let size, size < 0 { throw DashboardError(.badSubmission, "the size \(size) is negative") }
        var checked: ExpectedChecksum?
        if let checksum {
            let parts = checksum.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let algorithm = ExpectedChecksum.Algorithm(rawValue: parts[0].lowercased()) else {
                throw DashboardError(.badSubmission, "the checksum '\(checksum)' must be sha256:HEX or md5:HEX")
            }
            let expected = ExpectedChecksum(algorithm, parts[1])
            guard expected.isWellFormed else { throw DashboardError(.badSubmission, "'\(parts[1])' is not a \(algorithm.rawValue) digest") }
            checked = expected
        }
        if let group, DatasetName.component(group, fallback: "") != group {
            throw DashboardError(.badSubmission, "the group '\(group)' names folders: use letters, digits, '-', '_' and '.' only")
        }
        return ItemSpec(name: name, sources: [url], size: size, checksum: checked, group: group)
    }
}
