import SluiceKernels

/// The cross-atlas study as tables, named as `docs/analysis.md` lists them: `harmonized`,
/// `mapping`, `meta`, `consistency`, `correlation`, `conserved` and `conserved_everywhere`.
extension CrossAtlasStudy {
    /// `--format h5ad`: (atlas, cell type) × signatures (X the activity; layers within_z and adjusted).
    public static let matrix = MatrixView(
        table: "harmonized", rows: ["atlas", "cell_type", "common"], column: "signature", values: ["activity", "within_z", "adjusted"])

    public func tables(_ result: Result) -> [ResultTable] {
        [
            ResultTable(
                name: "harmonized", rows: result.harmonized,
                columns: [
                    ("atlas", .string(\.atlas)), ("signature", .string(\.signature)), ("cell_type", .string(\.cellType)), ("common", .string(\.common)),
                    ("activity", .double(\.activity)), ("within_z", .double(\.withinZ)), ("adjusted", .double(\.adjusted)),
                ]),
            ResultTable(
                name: "mapping", rows: mapping.entries,
                columns: [
                    ("atlas", .string(\.atlas)), ("cell_type", .string(\.cellType)), ("common", .string(\.common)),
                    ("method", .string(\.method.rawValue)), ("similarity", .double(\.similarity)),
                ]),
            ResultTable(
                name: "meta", rows: result.meta,
                columns: [
                    ("signature", .string(\.signature)), ("cell_type", .string(\.cellType)), ("atlases", .integer(\.result.studies)),
                    ("effect", .double(\.result.effect)), ("se", .double(\.result.se)), ("z", .double(\.result.z)), ("pvalue", .double(\.result.pvalue)),
                    ("q", .double(\.result.q)), ("q_pvalue", .double(\.result.qPvalue)), ("i2", .double(\.result.i2)), ("tau2", .double(\.result.tau2)),
                    ("random_effect", .double(\.result.randomEffect)), ("random_se", .double(\.result.randomSE)),
                    ("weighted_mean", .double(\.weightedMean)), ("cells", .integer(\.cells)),
                ]),
            ResultTable(
                name: "consistency", rows: result.consistency,
                columns: [
                    ("signature", .string(\.signature)), ("cell_type", .string(\.cellType)), ("atlases", .integer(\.atlases)),
                    ("mean", .double(\.mean)), ("sd", .double(\.sd)), ("cv", .double(\.cv)),
                ]),
            ResultTable(
                name: "correlation", rows: result.correlation,
                columns: [
                    ("signature", .string(\.signature)), ("atlas_a", .string(\.atlasA)), ("atlas_b", .string(\.atlasB)),
                    ("n", .integer(\.spearman.n)), ("spearman_rho", .double(\.spearman.r)), ("spearman_p", .double(\.spearman.pvalue)),
                ]),
            ResultTable(
                name: "conserved", rows: result.conserved,
                columns: [
                    ("cell_type", .string(\.cellType)), ("atlas_a", .string(\.atlasA)), ("atlas_b", .string(\.atlasB)), ("k", .integer(\.k)),
                    ("shared", .integer(\.shared)), ("jaccard", .double(\.jaccard)), ("signatures", .string { $0.signatures.joined(separator: ",") }),
                ]),
            ResultTable(
                name: "conserved_everywhere", rows: result.conservedEverywhere,
                columns: [
                    ("cell_type", .string(\.cellType)), ("atlases", .integer(\.atlases)), ("signatures", .string { $0.signatures.joined(separator: ",") }),
                ]),
        ]
    }
}
