import Foundation
import SluiceTestSupport
import Synchronization
import Testing

@testable import SluiceFormats

/// Every writer's commit: a file or folder replaces its target in one step, flushed, and a
/// reader never finds the target missing while it is being replaced.
@Suite struct AtomicCommitTests {
    @Test func aFileReplacesItsTargetAndLeavesNoPartial() throws {
        let folder = try TemporaryDirectory("sluice-atomic")
        let target = folder.file("table.tsv")
        try AtomicCommit.write("old\n", to: target)
        try AtomicCommit.write("new\n", to: target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new\n")
        #expect(!FileManager.default.fileExists(atPath: AtomicCommit.partialPath(of: target)))
    }

    @Test func aFolderReplacesAnOlderFolder() throws {
        let folder = try TemporaryDirectory("sluice-atomic")
        let target = folder.file("out")
        for (name, text) in [("old.txt", "old"), ("new.txt", "new")] {
            let partial = AtomicCommit.partialPath(of: target)
            try FileManager.default.createDirectory(atPath: partial + "/nested", withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: partial + "/nested/" + name))
            try AtomicCommit.commit(partial, to: target)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/nested") == ["new.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out"])
    }

    @Test func aMissingPartialIsAnError() throws {
        let folder = try TemporaryDirectory("sluice-atomic")
        let error = try #require(throws: FormatError.self) { try AtomicCommit.commit(folder.file("none.partial"), to: folder.file("none")) }
        #expect(error.code == .ioFailure)
    }

    @Test(arguments: [false, true])
    func aReaderNeverFindsTheTargetMissing(folders: Bool) async throws {
        let folder = try TemporaryDirectory("sluice-atomic")
        let target = folder.file("target")
        func make(_ round: Int) throws {
            let partial = AtomicCommit.partialPath(of: target)
            if folders {
                try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
                try Data("\(round)".utf8).write(to: URL(fileURLWithPath: partial + "/value"))
                try AtomicCommit.commit(partial, to: target)
            } else {
                try AtomicCommit.write("\(round)", to: target)
            }
        }
        try make(0)
        let done = Atomic(false)
        let missing = Atomic(0)
        let watcher = Thread {
            var info = stat()
            while !done.load(ordering: .relaxed) {
                if lstat(target, &info) != 0 { missing.add(1, ordering: .relaxed) }
            }
        }
        watcher.start()
        for round in 1...300 { try make(round) }
        done.store(true, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(20))
        #expect(missing.load(ordering: .relaxed) == 0)
    }
}
