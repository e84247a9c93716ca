import Foundation

/// Which features of a file count as genes. 10x files list Gene Expression beside Antibody
/// Capture (CITE-seq), CRISPR Guide Capture and others, in the `feature_types` column; their
/// counts must not enter QC totals, normalisation, medians or tokens. scanpy's 10x readers keep
/// gene expression only by default (`gex_only=True`), and so does Sluice (`--feature-types`).
public enum FeatureSelection: Sendable, Hashable, Codable {
    /// Gene Expression only, when the file says which features are which (the default).
    case geneExpression
    /// Every feature.
    case all
    /// These types, as the file names them (e.g. `Antibody Capture`).
    case types([String])

    /// The type 10x gives genes.
    public static let geneExpressionType = "Gene Expression"

    /// From the command line: `gene-expression`, `all`, or types separated by commas.
    public init(argument: String) {
        switch argument.lowercased() {
        case "gene-expression", "gex", FeatureSelection.geneExpressionType.lowercased(): self = .geneExpression
        case "all": self = .all
        default: self = .types(argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
    }

    /// Whether a feature of `type` is kept.
    func keeps(_ type: String) -> Bool {
        switch self {
        case .geneExpression: type == Self.geneExpressionType
        case .all: true
        case .types(let types): types.contains(type)
        }
    }
}
