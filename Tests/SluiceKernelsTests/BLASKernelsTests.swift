import SluiceKernels
import Testing

/// The kernel choice: better kernels only where OpenBLAS picked weaker ones than the CPU has.
struct BLASKernelsTests {
    static let avx512: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
    static let avx2: Set<String> = ["sse4_2", "avx", "avx2", "fma"]

    @Test("a recent AVX-512 CPU that OpenBLAS 0.3.21 calls Prescott gets SkylakeX")
    func upgradesGenericKernels() {
        #expect(BLASKernels.preferred(cpuFlags: Self.avx512, reported: "Prescott") == "SkylakeX")
        #expect(BLASKernels.preferred(cpuFlags: Self.avx2, reported: "Prescott") == "Haswell")
        #expect(BLASKernels.preferred(cpuFlags: Self.avx2, reported: "Sandybridge") == "Haswell")
        #expect(BLASKernels.preferred(cpuFlags: ["avx"], reported: "Nehalem") == "Sandybridge")
    }

    @Test("kernels as good as the CPU allows, or unknown ones, are left alone")
    func leavesGoodChoicesAlone() {
        #expect(BLASKernels.preferred(cpuFlags: Self.avx512, reported: "SkylakeX") == nil)
        #expect(BLASKernels.preferred(cpuFlags: Self.avx512, reported: "Cooperlake") == nil)
        #expect(BLASKernels.preferred(cpuFlags: Self.avx2, reported: "Zen") == nil)
        #expect(BLASKernels.preferred(cpuFlags: Self.avx2, reported: "Haswell") == nil)
        #expect(BLASKernels.preferred(cpuFlags: Self.avx512, reported: "NEOVERSEN1") == nil)
        #expect(BLASKernels.preferred(cpuFlags: ["sse2"], reported: "Prescott") == nil)
    }

    @Test("this process's kernels are named")
    func current() {
        #expect(!BLASKernels.current.isEmpty)
    }
}
