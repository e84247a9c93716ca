import Foundation
import SluiceTestSupport
import Testing

/// The bad-input suite (`Tests/Fixtures/bad_inputs/cases.json`, written by
/// `scripts/fixtures/make_bad_inputs.py`): each case runs the real binary as a user would, on a
/// bad file, option, pipeline file, name or file-system mistake, and must end with its exit
/// status and one line on standard error that names the file, item or option and the problem —
/// no crash, no stack trace, nothing half-written, nothing outside its folder changed.
@Suite("Bad input", .serialized)
struct BadInputTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var args: [String]
        var files: [String]
        var status: Int32
        var words: [String]
        var absent: [String]
        var testDescription: String { name }
    }

    static let folder = Fixtures.path("bad_inputs")

    static let cases: [Case] = {
        guard let data = FileManager.default.contents(atPath: folder + "/cases.json") else { return [] }
        return (try? JSONDecoder().decode([Case].self, from: data)) ?? []
    }()

    @Test("the suite holds at least 60 cases")
    func enoughCases() {
        #expect(Self.cases.count >= 60)
    }

    @Test("a bad input gets one sentence and its exit status, and leaves nothing behind", arguments: cases)
    func badInput(_ item: Case) async throws {
        let scratch = try TemporaryDirectory("sluice-bad-input")
        let work = scratch.file("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        for file in item.files {
            let target = work + "/" + file
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.folder + "/" + file, toPath: target)
        }
        try "beside the work folder\n".write(toFile: scratch.file("beside.txt"), atomically: true, encoding: .utf8)
        let fixturesBefore = try FileTree(Fixtures.directory)
        let besideBefore = try FileTree(scratch.path, skipping: "work")
        let workBefore = try FileTree(work)

        let arguments = item.args.map { $0.replacingOccurrences(of: "{fixtures}", with: Fixtures.directory) }
        let outcome = try await SluiceBinary.run(arguments, in: work, timeout: 60)

        #expect(outcome.status == item.status, "exit status; stderr: \(outcome.standardError)")
        let lines = outcome.standardError.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let first = lines.first ?? ""
        // Sluice's own errors are one line; ArgumentParser's option errors add the usage after it.
        #expect(first.hasPrefix("error: ") || first.hasPrefix("Error: "), "first line: \(first)")
        if first.hasPrefix("error: ") { #expect(lines.count == 1, "one line: \(lines)") }
        for word in item.words { #expect(first.contains(word), "'\(word)' in: \(first)") }
        #expect(!outcome.standardError.contains("Fatal error") && !outcome.standardError.contains("Stack dump"))
        #expect(!first.contains("Error Domain="), "a raw Foundation error: \(first)")

        // Nothing half-written: no *.partial anywhere, no declared output; the case's own files as they were.
        let after = try FileTree(work)
        #expect(after.paths.filter { $0.hasSuffix(".partial") }.isEmpty, "left: \(after.paths)")
        for path in item.absent { #expect(!FileManager.default.fileExists(atPath: work + "/" + path), "\(path) was left") }
        for (path, entry) in workBefore.entries { #expect(after.entries[path] == entry, "\(path) changed") }
        // Nothing outside the work folder changed: the fixtures and the folder beside it.
        #expect(try FileTree(Fixtures.directory) == fixturesBefore, "a fixture changed")
        #expect(try FileTree(scratch.path, skipping: "work") == besideBefore, "something beside the work folder changed")
    }
}

/// Every file and folder under a root, with size, modification time and permissions.
struct FileTree: Equatable {
    struct Entry: Equatable {
        var size: Int64
        var modified: Date?
        var permissions: Int
    }

    var entries: [String: Entry] = [:]
    var paths: [String] { entries.keys.sorted() }

    init(_ root: String, skipping skipped: String? = nil) throws {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return }
        while let relative = walker.nextObject() as? String {
            if let skipped, relative == skipped || relative.hasPrefix(skipped + "/") { continue }
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + relative)
            entries[relative] = Entry(
                size: (attributes[.size] as? NSNumber)?.int64Value ?? 0, modified: attributes[.modificationDate] as? Date,
                permissions: (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0)
        }
    }
}
