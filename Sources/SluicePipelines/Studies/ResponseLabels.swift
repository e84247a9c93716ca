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
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AnalysisError(code: "response.labels", "could not read the labels table \(path)")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first, let index = header.firstIndex(of: column) else {
            throw AnalysisError(code: "response.labels", "the labels table \(path) has no column '\(column)'")
        }
        var labels: [String: String] = [:]
        for fields in lines.dropFirst() where fields.count > index && !fields[index].isEmpty { labels[fields[0]] = fields[index] }
        return labels
    }
}
