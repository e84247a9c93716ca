import Foundation
import SluiceFormats
import SluiceTestSupport
import Testing

/// Broken inputs give one clear error that names the file and the problem — never a crash.
@Suite("Bad input gives clear errors")
struct BadInputTests {
    @Test("each broken fixture fails with its error code and names the file", arguments: Fixtures.bad)
    func brokenFixture(_ entry: Fixtures.Entry) throws {
        let path = Fixtures.path(entry.file)
        let error = #expect(throws: FormatError.self) {
            let source = try CellSourceOpener.open(path)
            for range in source.batchRanges(size: 16) { _ = try source.read(cells: range) }
        }
        let failure = try #require(error)
        #expect(failure.code.description == entry.error_code, "\(entry.file): \(failure)")
        #expect(failure.description.contains(entry.file.split(separator: "/").first.map(String.init) ?? entry.file))
        #expect(!failure.description.contains("\n"), "one line: \(failure)")
    }

    @Test("a missing file is reported as such")
    func missingFile() {
        let error = #expect(throws: FormatError.self) { try CellSourceOpener.open("/nonexistent/data.h5ad") }
        #expect(error?.code == .fileNotFound)
    }

    @Test("reading past the last cell is an error, not a crash")
    func rangePastEnd() throws {
        let source = try CellSourceOpener.open(Fixtures.path("csr.h5ad"))
        let error = #expect(throws: FormatError.self) { try source.read(cells: 0..<(source.cellCount + 1)) }
        #expect(error?.code == .invalidArgument)
    }

    @Test("an unknown layer names the layers that exist")
    func unknownLayer() throws {
        let error = #expect(throws: FormatError.self) {
            try CellSourceOpener.open(Fixtures.path("raw_and_layers.h5ad"), matrix: "spliced")
        }
        #expect(error?.code == .missingObject)
        #expect(error?.message.contains("counts") == true)
    }
}
