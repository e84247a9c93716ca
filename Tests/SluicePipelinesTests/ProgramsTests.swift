import Foundation
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice analyze programs` and `drivers` against numpy and scipy (Tests/Fixtures/programs, from
/// scripts/reference/make_programs_reference.py).
@Suite("shared programs and driving cell types equal the reference")
struct ProgramsTests {
    static let folder = Fixtures.directory + "/programs"

    @Test("programs: directions, Stouffer's z (a p-value of 0 included), similarity of diseases")
    func programs() throws {
        let result = try SharedPrograms().run(try DifferentialRows.read(Self.folder + "/diseases.tsv", code: "programs.input"))
        let mismatches = try ReferenceTable.compare(result.tables[0], with: Self.folder + "/programs.tsv")
        #expect(mismatches == [], "\(mismatches.prefix(5))")
        #expect(try ReferenceTable.compare(result.tables[1], with: Self.folder + "/similarity.tsv") == [])
    }

    @Test("drivers: cell types by proportion × effect within each tissue, unweighted pairs left out")
    func drivers() throws {
        var study = DrivingCellTypes()
        study.weights = try DrivingCellTypes.weights(fromComposition: Self.folder + "/composition.tsv")
        let result = try study.run(try DifferentialRows.read(Self.folder + "/celltypes.tsv", code: "drivers.input"))
        #expect(try ReferenceTable.compare(result.table, with: Self.folder + "/drivers.tsv") == [])
        #expect(result.notes.count == 1 && result.notes[0].contains("'flare/Mono'"))
        // Without a composition every weight is 1: the contribution is the effect.
        let unweighted = try DrivingCellTypes().run(try DifferentialRows.read(Self.folder + "/celltypes.tsv", code: "drivers.input"))
        #expect(unweighted.rows.allSatisfy { $0.weight == 1 && $0.contribution == $0.effect })
    }

    @Test("drivers needs a table stratified by the cell type")
    func driversNeedsCellTypes() throws {
        do {
            _ = try DrivingCellTypes().run(try DifferentialRows.read(Self.folder + "/diseases.tsv", code: "drivers.input"))
            Issue.record("an unstratified table should fail")
        } catch let error as AnalysisError {
            #expect(error.code == "drivers.cell-type" && error.message.contains("--stratify cell_type"))
        }
    }

    @Test("the CLI writes programs, similarity and drivers")
    func commands() async throws {
        let folder = try TemporaryDirectory("programs")
        let programs = try await SluiceBinary.run(["analyze", "programs", Self.folder + "/diseases.tsv", "--output", folder.file("p")], in: folder.path)
        #expect(programs.status == 0, "\(programs.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder.file("p/programs.tsv")) && FileManager.default.fileExists(atPath: folder.file("p/similarity.tsv")))
        let drivers = try await SluiceBinary.run(
            ["analyze", "drivers", Self.folder + "/celltypes.tsv", "--composition", Self.folder + "/composition.tsv", "--format", "json", "--output", folder.file("d")],
            in: folder.path)
        #expect(drivers.status == 0, "\(drivers.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder.file("d/drivers.json")))
    }
}
