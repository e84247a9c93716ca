import Foundation
import SluiceTestSupport
import Testing

/// A full or read-only file system is one sentence, exit status 2, and nothing half-written —
/// never a 0-byte `*.partial`, a raw Foundation error or a crash at exit. The test mounts small
/// tmpfs file systems, which needs root: outside CI it says it skipped; in CI it fails.
@Suite("File systems that refuse writes", .serialized)
struct FileSystemTests {
    /// Mounts a tmpfs of `size` (with `options`) on a fresh folder; nil when mounting is not allowed.
    static func mount(_ folder: String, options: String) -> Bool {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/mount")
        process.arguments = ["-t", "tmpfs", "-o", options, "tmpfs", folder]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    static func unmount(_ folder: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/umount")
        process.arguments = [folder]
        try? process.run()
        process.waitUntilExit()
    }

    @Test(
        "writing onto a full or a read-only file system",
        arguments: [
            ("size=256k", "No space left on device"),
            ("size=1m,ro", "ead-only file system"),
        ])
    func refusedWrite(_ options: String, _ words: String) async throws {
        let scratch = try TemporaryDirectory("sluice-fs")
        let mounted = scratch.file("mounted")
        guard Self.mount(mounted, options: options) else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI runs as root and must be able to mount a tmpfs")
            print("skipped: cannot mount a tmpfs here (needs root)")
            return
        }
        defer { Self.unmount(mounted) }
        let outcome = try await SluiceBinary.run(["convert", Fixtures.path("pbmc68k_reduced_current.h5ad"), mounted + "/out.h5ad"], in: scratch.path)
        #expect(outcome.status == 2)
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(outcome.standardError)")
        #expect(lines.first?.hasPrefix("error: ") == true)
        #expect(lines.first?.contains(words) == true, "\(outcome.standardError)")
        #expect(lines.first?.contains("out.h5ad") == true)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: mounted)) ?? [] == [], "left behind on the file system")
    }
}
