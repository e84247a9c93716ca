import Foundation

/// Named sets of marker genes for ``MarkerScores``: a tab-separated table with a header and the
/// columns `set` and `gene` (one row per gene), or the built-in ``defaults``.
public struct MarkerSets: Sendable, Equatable {
    /// Set names in first-appearance order, each with its genes in table order.
    public var sets: [(name: String, genes: [String])]

    public init(_ sets: [(name: String, genes: [String])]) {
        self.sets = sets
    }

    public static func == (a: MarkerSets, b: MarkerSets) -> Bool {
        a.sets.map(\.name) == b.sets.map(\.name) && a.sets.map(\.genes) == b.sets.map(\.genes)
    }

    public static func read(_ path: String) throws -> MarkerSets {
        let table = try HeaderTable(path, what: "the marker table", code: "scores.markers")
        let columns = try table.columns(["set", "gene"], ignoringCase: true)
        var sets: [(name: String, genes: [String])] = []
        for fields in table.rows where fields.count > max(columns[0], columns[1]) {
            let (name, gene) = (fields[columns[0]].trimmingCharacters(in: .whitespaces), fields[columns[1]].trimmingCharacters(in: .whitespaces))
            guard !name.isEmpty, !gene.isEmpty else { continue }
            if let index = sets.firstIndex(where: { $0.name == name }) {
                if !sets[index].genes.contains(gene) { sets[index].genes.append(gene) }
            } else {
                sets.append((name, [gene]))
            }
        }
        guard !sets.isEmpty else { throw AnalysisError(code: "scores.markers", "the marker table \(path) names no set and gene") }
        return MarkerSets(sets)
    }

    /// The built-in sets (docs/analysis.md lists them with their sources):
    /// - immune infiltration: `leukocytes` PTPRC (CD45); lineage markers of Seurat's PBMC 3k
    ///   guided tutorial, with the other CD3 and CD8 chains and CD79A added — `t_cells`,
    ///   `cd8_t_cells`, `b_cells`, `nk_cells`, `monocytes`, `dendritic_cells`; `cytolytic_activity`
    ///   GZMA and PRF1 (Rooney et al. 2015, Cell 160:48);
    /// - `t_cell_exhaustion`: the inhibitory receptors PDCD1, HAVCR2, LAG3, TIGIT, CTLA4 (Wherry &
    ///   Kurachi 2015, Nat Rev Immunol 15:486), TOX (Khan et al. 2019, Nature 571:211), ENTPD1
    ///   (CD39; Simoni et al. 2018, Nature 557:575) and LAYN (Zheng et al. 2017, Cell 169:1342);
    /// - CAF subtypes of Öhlund et al. 2017 (J Exp Med 214:579) and Elyada et al. 2019 (Cancer
    ///   Discov 9:1102): `caf_myofibroblastic` (myCAF), `caf_inflammatory` (iCAF),
    ///   `caf_antigen_presenting` (apCAF).
    public static let defaults = MarkerSets([
        ("leukocytes", ["PTPRC"]),
        ("t_cells", ["CD3D", "CD3E", "CD3G"]),
        ("cd8_t_cells", ["CD8A", "CD8B"]),
        ("b_cells", ["MS4A1", "CD79A", "CD19"]),
        ("nk_cells", ["GNLY", "NKG7", "KLRD1"]),
        ("monocytes", ["CD14", "LYZ", "FCGR3A", "MS4A7"]),
        ("dendritic_cells", ["FCER1A", "CST3"]),
        ("cytolytic_activity", ["GZMA", "PRF1"]),
        ("t_cell_exhaustion", ["PDCD1", "HAVCR2", "LAG3", "TIGIT", "CTLA4", "TOX", "ENTPD1", "LAYN"]),
        ("caf_myofibroblastic", ["ACTA2", "TAGLN", "MYL9", "TPM2", "MMP11", "POSTN"]),
        ("caf_inflammatory", ["IL6", "CXCL12", "PDGFRA", "CFD", "DPT", "CXCL1", "CCL2"]),
        ("caf_antigen_presenting", ["HLA-DRA", "HLA-DPA1", "CD74", "SLPI"]),
    ])
}
