import Foundation
import SluiceFormats

/// Each sample's label for ``TreatmentResponse``: from an h5ad's obs (each cell a sample), or a
/// tab-separated table with a header whose first column names the samples.
public enum ResponseLabels {
    public static func read(_ path: String, column: String) throws -> [String: String] {
        if (try? FormatDetector.detect(path)) == .h5ad {
            let source = try CellSourceOpener.open(path)
            guard source.cellMetadataSchema.contains(where: { $0.name == column }) else {
                throw AnalysisError(code: "response.labels", "\(path) has no obs column '\(column)'")
            }
            var labels: [String: String] = [:]
            for range in source.batchRanges(size: 100_000) {
                let obs = try source.readCellMetadata(cells: range)
                let values = obs[column]!
                for (cell, name) in obs.index.enumerated() { labels[name] = values.text(at: cell) }
            }
            return labels
        }
        let table = try HeaderTable(path, what: "the labels table", code: "response.labels")
        let index = try table.columns([column])[0]
        var labels: [String: String] = [:]
        for fields in table.rows where fields.count > index && !fields[index].isEmpty { labels[fields[0]] = fields[index] }
        return labels
    }
}
