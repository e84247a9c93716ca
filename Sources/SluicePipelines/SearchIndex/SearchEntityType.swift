/// What a search-index entry names. The order of the cases is the order ties are broken in.
public enum SearchEntityType: String, Sendable, CaseIterable, Codable, Comparable {
    /// A CytoSig signature (a cytokine, or a family of them: `IFN1`).
    case cytokine
    /// A SecAct signature: a secreted protein, by its HGNC symbol.
    case secretedProtein = "secreted_protein"
    /// A gene: an HGNC symbol, or an alias or previous symbol of one.
    case gene
    /// A cell type, with its place in a hierarchy when one is given.
    case cellType = "cell_type"
    case disease
    case organ

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
