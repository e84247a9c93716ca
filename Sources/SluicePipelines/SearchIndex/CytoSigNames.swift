/// The CytoSig signature names that are not one HGNC symbol, and the genes each stands for
/// (CytoSig, Jiang et al. 2021, Nat. Methods 18:1181: a signature is named by the cytokine, or
/// the family, whose treatment profiles it summarises). The other CytoSig names (IL6, IFNG,
/// TGFB1, …) are HGNC symbols themselves.
enum CytoSigNames {
    static let genes: [String: [String]] = [
        "Activin A": ["INHBA"],
        "CD40L": ["CD40LG"],
        "GCSF": ["CSF3"],
        "GMCSF": ["CSF2"],
        "MCSF": ["CSF1"],
        "IFN1": ["IFNA1", "IFNA2", "IFNB1", "IFNW1"],
        "IFNL": ["IFNL1", "IFNL2", "IFNL3"],
        "IL12": ["IL12A", "IL12B"],
        "IL27": ["IL27", "EBI3"],
        "IL36": ["IL36A", "IL36B", "IL36G"],
        "NO": ["NOS2"],
        "TNFA": ["TNF"],
        "TRAIL": ["TNFSF10"],
        "TWEAK": ["TNFSF12"],
    ]

    /// The genes `name` stands for: its mapping, else itself.
    static func genes(of name: String) -> [String] { genes[name] ?? [name] }
}
