import ArgumentParser
import SluicePipelines

/// `--format` of the studies: how their tables are written (``ExportFormat``).
struct ExportFormatOption: ParsableArguments {
    @Option(help: "tsv, csv, json (one file for the study), parquet, or h5ad (validate, cross-atlas, composition).") var format = "tsv"

    func validate() throws {
        guard ExportFormat(rawValue: format) != nil else { throw ValidationError("--format must be tsv, csv, json, parquet or h5ad") }
    }

    /// The parsed format (checked by `validate`).
    var exportFormat: ExportFormat { ExportFormat(rawValue: format) ?? .tsv }

    /// For the studies whose tables are lists, not matrices: `--format h5ad` is refused in one sentence.
    func requireTables(of study: String) throws {
        guard exportFormat != .h5ad else {
            throw ValidationError("--format h5ad applies to validate, cross-atlas and composition, not \(study); use tsv, csv, json or parquet")
        }
    }
}
