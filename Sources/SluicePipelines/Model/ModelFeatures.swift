import Foundation
import SluiceKernels

/// The genes a model's PCA has as features, read from a file: one id per line (the first
/// tab-separated field; `#` lines skipped), a JSON list of ids, or a token dictionary (JSON:
/// gene → id, special tokens such as `<pad>` left out) in id order. Version suffixes are cut.
public enum ModelFeatures {
    public static func read(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError(message: "the feature list \(path) cannot be read")
        }
        var genes: [String]
        if let list = try? JSONDecoder().decode([String].self, from: data) {
            genes = list
        } else if let dictionary = try? JSONDecoder().decode([String: Int].self, from: data) {
            genes = dictionary.filter { !$0.key.hasPrefix("<") }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key)
        } else {
            genes = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { line in
                let field = line.split(separator: "\t", omittingEmptySubsequences: false).first.map(String.init) ?? ""
                return field.isEmpty || field.hasPrefix("#") ? nil : field.trimmingCharacters(in: .whitespaces)
            }
        }
        genes = genes.map { GeneMapper.ensemblStem($0) ?? $0 }
        guard !genes.isEmpty else { throw ModelError(message: "the feature list \(path) names no genes") }
        let duplicates = Dictionary(grouping: genes, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        guard duplicates.isEmpty else {
            throw ModelError(message: "the feature list \(path) names \(duplicates.prefix(3).joined(separator: ", ")) more than once")
        }
        return genes
    }
}
