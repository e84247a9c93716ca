import Foundation
import SluiceTestSupport
import Testing

/// The exit statuses scripts rely on, from the real binary: 0 all done, 2 could not run (bad
/// input or config, with the error's one sentence and code), 3 some items failed (130, stopped
/// by a signal, is in StopTests) — never ArgumentParser's 1, never a stack trace.
@Suite struct ExitCodeTests {
    private func pipeline(in folder: TemporaryDirectory, failing: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for name in ["a", "b", "c"] { try Data("\(name)\n".utf8).write(to: URL(fileURLWithPath: folder.file("in/\(name).txt"))) }
        let yaml = """
            workspace: ./work
            budget: {total: 50MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command:
                  name: copy
                  argv: [sh, -c, 'test "$(basename "$0")" != "\(failing)" && cp "$0"/* "$1"/', "{in}", "{out}"]
              - cleanup:
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        return folder.file("p.yaml")
    }

    @Test func allDoneIsZero() async throws {
        let folder = try TemporaryDirectory("sluice-exit")
        let run = try await SluiceBinary.run(["run", "--quiet", try pipeline(in: folder, failing: "none")], in: folder.path)
        #expect(run.status == 0, "\(run.standardError)")
    }

    @Test func someItemsFailedIsThree() async throws {
        let folder = try TemporaryDirectory("sluice-exit")
        let run = try await SluiceBinary.run(["run", "--quiet", try pipeline(in: folder, failing: "b.txt")], in: folder.path)
        #expect(run.status == 3, "\(run.standardError)")
        #expect(run.standardOutput.contains("b.txt"))
    }

    @Test func aBadPipelineIsTwoWithItsCode() async throws {
        let folder = try TemporaryDirectory("sluice-exit")
        let path = try pipeline(in: folder, failing: "none")
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "budget: {total: 50MB}", with: "budget: {total: lots}")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let run = try await SluiceBinary.run(["run", path], in: folder.path)
        #expect(run.status == 2)
        #expect(run.standardError.hasPrefix("error: \(path):2: budget.total must be a size"))
        #expect(run.standardError.contains("[config.bad-value]"))
        #expect(!run.standardError.contains("Fatal error"))
    }

    @Test func aBadInputToAnAnalysisIsTwoWithItsCode() async throws {
        let folder = try TemporaryDirectory("sluice-exit")
        try "gene\tIL6\nA\t1.5\nB\t-0.5\n".write(toFile: folder.file("sig.tsv"), atomically: true, encoding: .utf8)
        let run = try await SluiceBinary.run(
            ["analyze", "activity", folder.file("none.h5ad"), "--signature", folder.file("sig.tsv"), "--output", folder.file("out")], in: folder.path)
        #expect(run.status == 2)
        #expect(run.standardError.hasPrefix("error: \(folder.file("none.h5ad")) does not exist ["), "\(run.standardError)")
        #expect(run.standardError.split(separator: "\n").count == 1)
    }

    @Test func aBadOptionIsTwoNotOne() async throws {
        let folder = try TemporaryDirectory("sluice-exit")
        let run = try await SluiceBinary.run(["status", "--no-such-option", folder.path], in: folder.path)
        #expect(run.status == 2)
        #expect(run.standardError.contains("Unknown option"))
    }
}
