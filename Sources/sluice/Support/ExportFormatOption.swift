import ArgumentParser
import SluicePipelines

/// `--format` of the studies: how their tables are written (``ExportFormat``).
struct ExportFormatOption: ParsableArguments {
    @Option(help: "tsv, csv, json (one file for the study) or parquet.") var format = "tsv"

    func validate() throws {
        guard ExportFormat(rawValue: format) != nil else { throw ValidationError("--format must be tsv, csv, json or parquet") }
    }

    /// The parsed format (checked by `validate`).
    var exportFormat: ExportFormat { ExportFormat(rawValue: format) ?? .tsv }
}
