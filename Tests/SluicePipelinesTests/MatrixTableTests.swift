import Foundation
import SluicePipelines
import SluiceTestSupport
import Testing

/// Tables as their authors wrote them: tab-separated, or blank-separated as R's `write.table`
/// and SecAct's example files are; malformed lines are errors with a line number, never a crash.
@Suite("Matrix tables")
struct MatrixTableTests {
    static let expression = Fixtures.path("activity/expression_bulk.tsv")

    /// The fixture rewritten with `transform` applied to each line's fields.
    static func rewritten(_ folder: TemporaryDirectory, _ name: String, _ transform: (_ line: Int, _ fields: [String]) -> String) throws -> String {
        let lines = try String(contentsOfFile: expression, encoding: .utf8).split(separator: "\n").map(String.init)
        let text = lines.enumerated().map { transform($0.offset, $0.element.components(separatedBy: "\t")) }.joined(separator: "\n") + "\n"
        let path = folder.file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("R's write.table layout (quoted names, spaces, no row-name label) reads as the tab-separated file")
    func writeTableLayout() throws {
        let folder = try TemporaryDirectory()
        let tabs = try MatrixTable.read(Self.expression)
        let r = try Self.rewritten(folder, "r.txt") { line, fields in
            line == 0 ? fields.dropFirst().map { "\"\($0)\"" }.joined(separator: " ") : (["\"\(fields[0])\""] + fields.dropFirst()).joined(separator: " ")
        }
        let table = try MatrixTable.read(r)
        #expect(table.rows == tabs.rows)
        #expect(table.columns == tabs.columns)
        #expect(table.values == tabs.values)
    }

    @Test("runs of blanks, leading blanks, blank lines and CRLF endings are read as SecAct reads them")
    func blankRuns() throws {
        let folder = try TemporaryDirectory()
        let tabs = try MatrixTable.read(Self.expression)
        let spaced = try Self.rewritten(folder, "spaced.txt") { line, fields in
            (line % 7 == 3 ? "\n  " : "") + fields.joined(separator: line % 2 == 0 ? "   " : " \t ") + "\r"
        }
        let table = try MatrixTable.read(spaced)
        #expect(table.rows == tabs.rows)
        #expect(table.columns == tabs.columns)
        #expect(table.values == tabs.values)
    }

    @Test(
        "malformed tables are errors naming the file and line",
        arguments: [
            ("one field per line", "S1\nGENE\n", "line 2"),
            ("short line", "gene\tS1\tS2\nA\t1\t2\nB\t1\n", "line 3: 2 fields where 3"),
            ("short blank-separated line", "S1 S2\nA 1 2\nB 1\n", "line 3: 2 fields where 3"),
            ("not a number", "S1 S2\nA 1 x2\n", "line 2: 'x2' is not a number"),
            ("blank header", "   \nA 1\n", "line 1"),
            ("header only", "S1 S2\n", "has a header but no rows"),
        ])
    func malformed(_ what: String, _ text: String, _ expected: String) throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("bad.txt")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: AnalysisError.self, "\(what)") { try MatrixTable.read(path) }
        #expect(error?.message.contains(path) == true, "\(what): \(error?.message ?? "")")
        #expect(error?.message.contains(expected) == true, "\(what): \(error?.message ?? "")")
    }
}
