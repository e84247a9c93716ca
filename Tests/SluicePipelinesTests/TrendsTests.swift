import Foundation
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice analyze trends` against scipy (Tests/Fixtures/trends, from
/// scripts/reference/make_trends_reference.py): seeded donors at four visits, a constant
/// signature, a donor seen once and one missing a visit.
@Suite("temporal trends equal scipy")
struct TrendsTests {
    static let folder = Fixtures.directory + "/trends"

    static func study(time: String, order: [String]? = nil, donor: String? = nil, stratify: [String] = []) throws -> TemporalTrends {
        var study = TemporalTrends(values: try MatrixTable.read(folder + "/activity.tsv"), metadata: [:], timeColumn: time)
        study.order = order
        study.donorColumn = donor
        study.stratify = stratify
        study.metadata = try SampleMetadata.read(folder + "/samples.tsv", columns: study.columns, code: "trends.samples")
        return study
    }

    @Test("numeric days, paired by donor, within each cell type")
    func byDay() throws {
        let result = try Self.study(time: "day", donor: "donor", stratify: ["cell_type"]).run()
        let tables = result.tables
        #expect(try ReferenceTable.compare(tables[0], with: Self.folder + "/by_day_timepoints.tsv") == [])
        #expect(try ReferenceTable.compare(tables[1], with: Self.folder + "/by_day_trends.tsv") == [])
    }

    @Test("visit labels placed by --order, no donors")
    func byVisit() throws {
        let result = try Self.study(time: "visit", order: ["baseline", "week1", "week2", "week4"]).run()
        #expect(try ReferenceTable.compare(result.tables[0], with: Self.folder + "/by_visit_timepoints.tsv") == [])
        #expect(try ReferenceTable.compare(result.tables[1], with: Self.folder + "/by_visit_trends.tsv") == [])
    }

    @Test("labels without an order, and a donor twice at one time, are clear errors")
    func errors() throws {
        do {
            _ = try Self.study(time: "visit").run()
            Issue.record("labels without --order should fail")
        } catch let error as AnalysisError {
            #expect(error.code == "trends.time" && error.message.contains("--order"))
        }
        // Without stratifying by cell type, each donor has a T and a B sample at every visit.
        do {
            _ = try Self.study(time: "day", donor: "donor").run()
            Issue.record("two samples of a donor at one time should fail")
        } catch let error as AnalysisError {
            #expect(error.code == "trends.donor-duplicate")
        }
    }

    @Test("the CLI writes timepoints and trends")
    func command() async throws {
        let folder = try TemporaryDirectory("trends")
        let result = try await SluiceBinary.run(
            [
                "analyze", "trends", Self.folder + "/activity.tsv", "--samples", Self.folder + "/samples.tsv", "--time", "day", "--donor", "donor",
                "--stratify", "cell_type", "--output", folder.path,
            ], in: folder.path)
        #expect(result.status == 0, "\(result.standardError)")
        let ours = try String(contentsOfFile: folder.file("trends.tsv"), encoding: .utf8)
        let reference = try String(contentsOfFile: Self.folder + "/by_day_trends.tsv", encoding: .utf8)
        #expect(ours.split(separator: "\n").first == reference.split(separator: "\n").first)
        #expect(FileManager.default.fileExists(atPath: folder.file("timepoints.tsv")))
    }
}
