import Foundation

/// One atlas's activity per cell type, as `sluice analyze activity … --by cell_type` writes it:
/// a folder with `zscore.tsv` (signatures × cell types) and, for the meta-analysis, `beta.tsv`
/// and `se.tsv`; or a z-score table alone. Cell counts (for the count-weighted mean) come from a
/// table with columns `group` and `psbulk_cells` — `groups.tsv` of `sluice analyze pseudobulk`,
/// found in the folder or named.
public struct AtlasActivity: Sendable {
    public var name: String
    public var zscore: LabeledMatrix
    public var beta: LabeledMatrix?
    public var se: LabeledMatrix?
    /// Cells per cell type (empty: unknown).
    public var cellCounts: [String: Int] = [:]

    public init(name: String, zscore: LabeledMatrix, beta: LabeledMatrix? = nil, se: LabeledMatrix? = nil, cellCounts: [String: Int] = [:]) {
        self.name = name
        self.zscore = zscore
        self.beta = beta
        self.se = se
        self.cellCounts = cellCounts
    }

    /// Reads `path` (a folder or a table), named `name` or after the path's last component.
    public static func read(_ path: String, name: String? = nil, cellCounts countsPath: String? = nil) throws -> AtlasActivity {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw AnalysisError(code: "cross-atlas.input", "\(path) does not exist")
        }
        let label = name ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        guard isFolder.boolValue else { return AtlasActivity(name: label, zscore: try MatrixTable.read(path)) }
        let file = { (name: String) -> String? in
            let candidate = (path as NSString).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
        }
        guard let zscore = file("zscore.tsv") else {
            throw AnalysisError(code: "cross-atlas.input", "\(path) has no zscore.tsv: give the output folder of `sluice analyze activity` or a z-score table")
        }
        var atlas = AtlasActivity(name: label, zscore: try MatrixTable.read(zscore))
        atlas.beta = try file("beta.tsv").map { try MatrixTable.read($0) }
        atlas.se = try file("se.tsv").map { try MatrixTable.read($0) }
        if let counts = countsPath ?? file("groups.tsv") { atlas.cellCounts = try readCellCounts(counts) }
        return atlas
    }

    /// `group` → `psbulk_cells` from a tab-separated table with a header.
    static func readCellCounts(_ path: String) throws -> [String: Int] {
        let table = try HeaderTable(path, what: "the cell counts (groups.tsv of `sluice analyze pseudobulk`)", code: "cross-atlas.cell-counts")
        let columns = try table.columns(["group", "psbulk_cells"])
        let (group, cells) = (columns[0], columns[1])
        var counts: [String: Int] = [:]
        for fields in table.rows where fields.count > max(group, cells) {
            guard let value = Int(fields[cells]) else {
                throw AnalysisError(code: "cross-atlas.cell-counts", "\(path): '\(fields[cells])' is not a number of cells")
            }
            counts[fields[group]] = value
        }
        return counts
    }
}
