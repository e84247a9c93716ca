import Foundation
import Subprocess

/// What a stage needs to know of a cells file before its program runs — its cells, and how its
/// counts are stored — asked of `sluice inspect --json` in its own process: a damaged file may
/// crash libhdf5, and must crash only that process, never the run. Nil when the file cannot be
/// inspected (the stage's program then reports the problem itself).
struct CellFileInspection: Decodable {
    struct Matrix: Decodable {
        var layout: String
        var storedCount: Int?
    }
    var cells: Int
    var genes: Int
    var matrix: Matrix

    static func of(_ file: String, matrix: String?, sluice: String) async -> CellFileInspection? {
        let arguments = ["inspect", "--json", file] + (matrix.map { ["--matrix", $0] } ?? [])
        let executable = Executable.program(sluice)
        guard
            let result = try? await Subprocess.run(
                executable, arguments: Arguments(arguments), output: .string(limit: 1 << 20), error: .discarded),
            result.terminationStatus.isSuccess
        else { return nil }
        return try? JSONDecoder().decode(CellFileInspection.self, from: Data(result.standardOutput.utf8))
    }

    /// The scratch space reading the file takes: counts stored by gene (a CSC h5ad) or as
    /// coordinates (Matrix Market) are sorted by cell first, 12 bytes per stored value, plus
    /// 1 MiB for the sort files' last blocks; 0 for other layouts.
    var sortScratchBytes: Int64 {
        guard matrix.layout == "csc" || matrix.layout.hasPrefix("coordinate") else { return 0 }
        return Int64(matrix.storedCount ?? 0) * 12 + (1 << 20)
    }

    /// Room for the corpus builder's spill of decoded counts (``SparseRowsSpill``): 3 bytes a
    /// stored value, 1½ times what UMI counts take, plus 1 MiB for small files. Values that are
    /// not counts need more; the builder then drops the spill and reads the file on every pass.
    /// Nil when the stored-value count is unknown.
    var spillBytes: Int64? {
        matrix.storedCount.map { Int64($0) * 3 + (1 << 20) }
    }
}
