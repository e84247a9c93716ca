import Foundation
import SluiceEngine
import SluiceTestSupport
import Testing

/// The corpus builder inside `sluice run`: its interim files, the spill of decoded counts
/// included, live in scratch space under the workspace that is reserved before it starts.
@Suite("Preprocess stage")
struct PreprocessStageTests {
    /// The scratch reservation holds the token chunks (the stage's output ratio times the input)
    /// and the spill (3 bytes a stored value plus 1 MiB), and the builder is told the spill's
    /// share as `--spill-limit`: when `interim/`'s quota has no room for it the item fails at
    /// once; with room the builder keeps its spill, and nothing is left in `interim/`.
    @Test func theSpillIsReservedScratchInTheWorkspace() async throws {
        let stored = 252  // csr.h5ad's stored values (`sluice inspect`)
        let spill = stored * 3 + (1 << 20)
        func run(interim: Int) async throws -> (SluiceBinary.Outcome, TemporaryDirectory) {
            let folder = try Fixtures.pipelineFolder(
                "csr.h5ad", interim: Int64(interim), stages: "  - preprocess: {chunk_size: 10, top_genes: 8, test_size: 0.2, spill: true}",
                label: "sluice-preprocess")
            return (try await SluiceBinary.run(["run", "p.yaml", "--quiet"], in: folder.path), folder)
        }
        let (tight, _) = try await run(interim: spill - 1)
        #expect(tight.status == 3)
        #expect((tight.standardOutput + tight.standardError).contains("more than the budget can ever hold"), "\(tight)")

        let (roomy, folder) = try await run(interim: spill + 200_000)
        #expect(roomy.status == 0, "\(roomy)")
        let log = FoldedLog.section(folder.file("work/logs/preprocess.log"), item: "a")
        #expect(log.contains("--spill-limit \(spill)"), "\(log)")
        #expect(log.contains("keeping the decoded counts for later passes in \(folder.file("work/interim/a/preprocess.scratch/a/counts.spill"))"))
        #expect(!log.contains("filled the spill"))
        let left = FileManager.default.enumerator(atPath: folder.file("work/interim"))?.allObjects ?? []
        #expect(left.isEmpty, "\(left)")
    }
}
