import Foundation
import SluiceTestSupport
import Testing

/// `sluice run` starts a stage's program through `sluice measure`, so that the trace shows
/// what the program used as the kernel counted it — and the program's end (its exit status, the
/// signal that killed it) reads exactly as without the measuring.
@Suite struct TraceMeasureTests {
    @Test func programsAreMeasuredAndEndAsTheyWould() async throws {
        let folder = try TemporaryDirectory("sluice-measure")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for name in ["big", "killed", "missing"] { try "x\n".write(toFile: folder.file("in/\(name)"), atomically: true, encoding: .utf8) }
        // `big` holds 150 MB and writes 3 MB; `killed` is killed by a signal; `missing` execs a
        // program that does not exist (the shell's status 127).
        let script = """
            case "$2" in
              big) python3 -c 'import sys; x = bytearray(150_000_000); x[::4096] = b"y" * len(x[::4096]); open(sys.argv[1] + "/out.bin", "wb").write(bytes(3_000_000))' "$1" ;;
              killed) kill -KILL $$ ;;
              missing) exec /nonexistent/program ;;
            esac
            """
        try script.write(toFile: folder.file("work.sh"), atomically: true, encoding: .utf8)
        let yaml = """
            workspace: ./work
            budget: {total: 50MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command: {name: work, argv: [sh, "\(folder.file("work.sh"))", "{out}", "{item}"], outputs: [out.bin], reserve: 4MB}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let run = try await SluiceBinary.run(["run", "p.yaml", "--quiet"], in: folder.path)
        #expect(run.status == 3, "\(run.standardOutput)\(run.standardError)")
        let rows = try traceRows(folder.file("work/logs/trace.tsv"))

        let big = try #require(rows.first { $0["tag"] == "big" && $0["process"] == "work" })
        #expect(big["status"] == "COMPLETED" && big["exit"] == "0")
        #expect(Int64(big["peak_rss"] ?? "") ?? 0 >= 150_000_000, "\(big)")
        #expect(Int64(big["wchar"] ?? "") ?? 0 >= 3_000_000, "\(big)")
        #expect(Int64(big["write_bytes"] ?? "") ?? 0 >= 0)
        #expect(Double(big["%cpu"] ?? "") ?? 0 > 0)
        #expect(Int32(big["native_id"] ?? "") ?? 0 > 0)
        #expect(big["written_bytes"] == "3000000")

        let killed = try #require(rows.first { $0["tag"] == "killed" && $0["process"] == "work" })
        #expect(killed["status"] == "FAILED" && killed["exit"] == "137" && killed["error"] == "command.killed", "\(killed)")
        #expect(run.standardOutput.contains("killed (work): sh was killed by signal 9"), "\(run.standardOutput)")
        let missing = try #require(rows.first { $0["tag"] == "missing" && $0["process"] == "work" })
        #expect(missing["status"] == "FAILED" && missing["exit"] == "127", "\(missing)")
    }
}
