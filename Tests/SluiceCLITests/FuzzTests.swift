import Foundation
import SluiceTestSupport
import Testing

/// The mutation fuzzer (`sluice-fuzz`, Tests/SluiceFuzz) over every parser that reads strangers'
/// bytes, for a bounded time each: no crash, no hang (10 s an input), no allocation beyond
/// 1 GiB. `SLUICE_FUZZ_SECONDS` (default 10; CI gives 30) and `SLUICE_FUZZ_SEED` (default 1,
/// so a failure reproduces) steer it. A crashing input is kept in the failure message's folder.
@Suite("Fuzzing the parsers", .serialized)
struct FuzzTests {
    static let seconds = ProcessInfo.processInfo.environment["SLUICE_FUZZ_SECONDS"] ?? "10"
    static let seed = ProcessInfo.processInfo.environment["SLUICE_FUZZ_SEED"] ?? "1"

    @Test("no input makes a parser crash, hang or allocate beyond its bound", arguments: ["mtx", "table", "pipeline", "manifest", "parquet"])
    func fuzz(_ target: String) async throws {
        let fuzzer = SluiceBinary.root + "/.build/debug/sluice-fuzz"
        try #require(FileManager.default.isExecutableFile(atPath: fuzzer), "build it first: swift build --product sluice-fuzz")
        let out = NSTemporaryDirectory() + "sluice-fuzz-\(target)-\(UUID().uuidString)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fuzzer)
        process.arguments = [target, "--fixtures", Fixtures.directory, "--out", out, "--seconds", Self.seconds, "--seed", Self.seed]
        let log = out + ".log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let status = await exitStatus(of: process)
        try handle.close()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(
            status == 0,
            "sluice-fuzz \(target) ended with \(status) (\(process.terminationReason == .uncaughtSignal ? "signal" : "exit")); the input is \(out)/current.\(target); output: \(output.suffix(1500))")
        #expect(output.contains("no crash, no hang"), "\(output.suffix(500))")
        if status == 0 {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: log)
        }
    }
}
