import Foundation
import SluiceKernels
import SluiceTestSupport
import Testing

/// The binary runs with the best kernels the CPU supports, unless the user chose them.
@Suite("BLAS kernel choice")
struct BLASKernelChoiceTests {
    @Test("the kernels in use are at least those this CPU supports")
    func chooses() async throws {
        let folder = try TemporaryDirectory()
        let outcome = try await SluiceBinary.run(["bench", "blas"], in: folder.path, environment: ["OPENBLAS_CORETYPE": nil])
        #expect(outcome.status == 0)
        let used = String(outcome.standardOutput.split(separator: " ").first ?? "")
        // Nothing better than what it uses: asking for an upgrade of the used kernels gives none.
        #expect(BLASKernels.preferred(cpuFlags: BLASKernels.cpuFlags(), reported: used) == nil, "\(outcome.standardOutput)")
        if BLASKernels.preferred(cpuFlags: BLASKernels.cpuFlags(), reported: BLASKernels.current) != nil {
            #expect(outcome.standardOutput.contains("chosen by sluice"), "\(outcome.standardOutput)")
        }
    }

    @Test("a user's OPENBLAS_CORETYPE is left alone")
    func respectsTheUser() async throws {
        let folder = try TemporaryDirectory()
        let outcome = try await SluiceBinary.run(["bench", "blas"], in: folder.path, environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(outcome.standardOutput.hasPrefix("Prescott (OPENBLAS_CORETYPE, as set)"), "\(outcome.standardOutput)")
    }
}
