import Foundation
import SluiceFormats

/// What is known about each sample of a sample-level study — its label, condition, patient —
/// from an h5ad's obs (each row a sample, named by the obs index; e.g. `pseudobulk.h5ad`) or a
/// tab-separated table with a header whose first column names the samples.
public enum SampleMetadata {
    /// Each sample's value in each of `columns` (in that order; nil where it is empty or missing).
    public static func read(_ path: String, columns: [String], code: String) throws -> [String: [String?]] {
        var result: [String: [String?]] = [:]
        if (try? FormatDetector.detect(path)) == .h5ad {
            let source = try CellSourceOpener.open(path)
            let names = source.cellMetadataSchema.map(\.name)
            if let missing = columns.first(where: { !names.contains($0) }) {
                throw AnalysisError(code: code, "\(path) has no obs column '\(missing)' (it has: \(AnalysisError.sample(names, limit: 12)))")
            }
            for range in source.batchRanges(size: 100_000) {
                let obs = try source.readCellMetadata(cells: range)
                let values = columns.map { obs[$0]! }
                for (row, name) in obs.index.enumerated() { result[name] = values.map { $0.text(at: row) } }
            }
            return result
        }
        let table = try HeaderTable(path, what: "the samples table", code: code)
        let indices = try table.columns(columns)
        for fields in table.rows where !fields.isEmpty {
            result[fields[0]] = indices.map { $0 < fields.count && !fields[$0].isEmpty ? fields[$0] : nil }
        }
        return result
    }

    /// The samples (a table's columns, by name) that `metadata` gives every label of `columns`,
    /// each with its position and labels; and notes on those left out (no row in the metadata,
    /// or a label missing).
    public static func labelled(_ samples: [String], in metadata: [String: [String?]], columns: [String]) -> (
        samples: [(column: Int, labels: [String])], notes: [String]
    ) {
        var labelled: [(column: Int, labels: [String])] = []
        var unknown: [String] = []
        var unlabeled = 0
        for (column, sample) in samples.enumerated() {
            guard let labels = metadata[sample] else {
                unknown.append(sample)
                continue
            }
            let present = labels.compactMap { $0 }
            guard present.count == labels.count else {
                unlabeled += 1
                continue
            }
            labelled.append((column, present))
        }
        var notes: [String] = []
        if !unknown.isEmpty { notes.append("\(unknown.count) samples have no metadata and are left out: \(AnalysisError.sample(unknown))") }
        if unlabeled > 0 { notes.append("\(unlabeled) samples lack a label of \(columns.joined(separator: ", ")) and are left out") }
        return (labelled, notes)
    }

    /// Each sample's value in `column`, samples without one left out.
    public static func labels(_ path: String, column: String, code: String) throws -> [String: String] {
        try read(path, columns: [column], code: code).compactMapValues { $0[0] }
    }
}
