import Foundation
import SluiceFormats

/// A table of one number per gene, as foundation-model tools ship them: a token dictionary
/// (gene → token id) or a median dictionary (gene → non-zero median).
///
/// Read from a JSON object (`{"ENSG00000000003": 1.75, …}`, what Geneformer's pickled dictionaries
/// become with `python3 -c 'import json, pickle, sys; json.dump(pickle.load(open(sys.argv[1], "rb")),
/// open(sys.argv[2], "w"))' IN.pkl OUT.json'`) or from a TSV of `gene<TAB>value` lines (a first
/// line whose value is no number is a header). Keys are kept as written.
public struct GeneValueTable: Sendable, Hashable {
    public let path: String
    public let values: [String: Double]

    /// Reads the table at `path`; `what` names it in errors ("token dictionary", "median table").
    public init(path: String, what: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(.fileNotFound, path: path, "cannot be read (the \(what))")
        }
        let first = data.first { !Set(" \t\r\n".utf8).contains($0) }
        values = first == UInt8(ascii: "{") || first == UInt8(ascii: "[") ? try Self.json(data, path: path, what: what) : try Self.tsv(data, path: path, what: what)
        guard !values.isEmpty else { throw FormatError(.malformedText, path: path, "holds no genes (the \(what))") }
    }

    private static func json(_ data: Data, path: String, what: String) throws -> [String: Double] {
        do {
            return try JSONDecoder().decode([String: Double].self, from: data)
        } catch {
            throw FormatError(.malformedText, path: path, "is not a JSON object of gene → number (the \(what))")
        }
    }

    private static func tsv(_ data: Data, path: String, what: String) throws -> [String: Double] {
        var values: [String: Double] = [:]
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
        for (number, line) in lines.enumerated() where !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                throw FormatError(.malformedText, path: path, "line \(number + 1) has \(fields.count) fields, expected gene<TAB>value (the \(what))")
            }
            guard let value = Double(fields[1]), value.isFinite else {
                if number == 0 { continue }  // a header
                throw FormatError(.malformedText, path: path, "line \(number + 1) gives \(fields[0]) the value '\(fields[1])', not a number (the \(what))")
            }
            guard values.updateValue(value, forKey: String(fields[0])) == nil else {
                throw FormatError(.malformedText, path: path, "line \(number + 1) names \(fields[0]) a second time (the \(what))")
            }
        }
        return values
    }
}
