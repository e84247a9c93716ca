import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// Every fetched file of an item with several (paired reads) is checked against its own digest:
/// a wrong one fails the item naming that file; right ones let it through.
@Suite struct FileChecksumTests {
    @Test func eachFileOfAnItemIsCheckedAgainstItsOwnDigest() async throws {
        let files = ["r1.fq.gz": PipelineHarness.bytes(120_000, seed: 1), "r2.fq.gz": PipelineHarness.bytes(110_000, seed: 2)]
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let (one, two) = (PipelineHarness.sha256(files["r1.fq.gz"]!), PipelineHarness.sha256(files["r2.fq.gz"]!))
        let urls = "[\"\(harness.server.url("r1.fq.gz"))\", \"\(harness.server.url("r2.fq.gz"))\"]"
        let yaml = """
            workspace: ./work
            budget: {total: 20MB}
            items:
              - {name: good, urls: \(urls), sha256: [\(one), \(two)]}
              - {name: bad, urls: \(urls), sha256: [\(one), \(one)]}
              - {name: half, urls: \(urls), sha256: [\(one), "-"]}
            stages:
              - fetch: {retries: 0}
            """
        let summary = try await harness.run(try harness.pipeline(yaml))
        let outcome = Dictionary(uniqueKeysWithValues: summary.items.map { ($0.item, $0) })
        #expect(outcome["good"]?.state == .done && outcome["half"]?.state == .done)
        #expect(outcome["bad"]?.state == .failed)
        let reason = outcome["bad"]?.reason ?? ""
        #expect(reason.contains("r2.fq.gz") && reason.contains("sha256 is \(two)") && reason.contains("says \(one)"), "\(reason)")
        #expect(FileManager.default.contents(atPath: harness.folder.file("work/raw/good/r2.fq.gz")) == files["r2.fq.gz"])
        try await harness.stop()
    }
}
