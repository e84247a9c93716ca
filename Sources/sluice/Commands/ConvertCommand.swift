import ArgumentParser
import Foundation
import SluiceFormats

/// `sluice convert INPUT OUTPUT.h5ad`: any supported input to a CSR h5ad, streamed.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a 10x HDF5, Matrix Market folder, Loom or h5ad file into a CSR h5ad.",
        discussion: """
            Cells are streamed in chunks, so memory stays bounded whatever the input's size; CSC and \
            Matrix Market inputs are first sorted by cell in a scratch folder (12 bytes per stored value). \
            The output appears only when complete (it is written as OUTPUT.partial, then renamed).
            """)

    @Argument(help: "The input file or Matrix Market folder.")
    var input: String

    @Argument(help: "The h5ad file to write.")
    var output: String

    @Option(help: "Which matrix to convert: X (default), raw, or a layer name.")
    var matrix: String?

    @Option(parsing: .unconditional, help: "Cells per chunk.")
    var chunkSize = 10_000

    @Option(parsing: .unconditional, help: "gzip level for the output (0 = uncompressed).")
    var gzip = 4

    @Option(help: "Folder for scratch files (default: the system temporary folder).")
    var scratch: String?

    @Flag(help: "Replace OUTPUT if it already exists (a folder is never replaced).")
    var force = false

    @OptionGroup var features: FeatureTypesOption

    func validate() throws {
        guard chunkSize > 0 else { throw ValidationError("--chunk-size must be positive") }
        guard (0...9).contains(gzip) else { throw ValidationError("--gzip must be between 0 and 9") }
    }

    func run() throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isFolder) {
            guard !isFolder.boolValue else {
                throw FormatError(.invalidArgument, path: output, "is a folder; give the h5ad file to write, e.g. \(output)/cells.h5ad")
            }
            guard force else { throw FormatError(.invalidArgument, path: output, "already exists; pass --force to replace it") }
        }
        let source = try CellSourceOpener.open(input, matrix: matrix, scratchDirectory: scratch, features: features.selection)
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            try H5ADWriter.convert(
                source, to: output, chunkSize: chunkSize, options: .init(gzipLevel: gzip == 0 ? nil : gzip))
        }
        print("wrote \(output): \(source.cellCount) cells × \(source.geneCount) genes in \(String(format: "%.2f", elapsed / .seconds(1))) s")
    }
}
