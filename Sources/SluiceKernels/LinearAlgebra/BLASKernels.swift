import CLinearAlgebra
import Foundation

/// Which OpenBLAS kernel set runs the matrix products, and which one the CPU supports.
///
/// Debian's OpenBLAS 0.3.21 does not recognise recent Intel CPUs (Sapphire Rapids, …) and falls
/// back to its generic `Prescott` kernels: ridge activity then runs ~5× slower than with the
/// `SkylakeX` kernels the CPU supports (with the same results to 1e-11). OpenBLAS reads
/// `OPENBLAS_CORETYPE` once, when it is loaded, so the choice is made by the caller before that
/// (the `sluice` binary re-executes itself once with the variable set).
public enum BLASKernels {
    /// The kernel set OpenBLAS uses in this process (`openblas_get_corename`).
    public static var current: String { String(cString: openblas_get_corename()) }

    /// Sets how many threads OpenBLAS's products use in this process from now on
    /// (`openblas_set_num_threads`): for small products, extra threads only spin.
    public static func useThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The kernel set to ask for, or nil when `reported` is already as good as the CPU allows
    /// (or is one this table does not know, such as a non-x86 core).
    public static func preferred(cpuFlags: Set<String>, reported: String) -> String? {
        guard let have = level(of: reported) else { return nil }
        let best: (name: String, level: Int)? =
            if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(cpuFlags.contains) {
                ("SkylakeX", 4)
            } else if cpuFlags.contains("avx2"), cpuFlags.contains("fma") {
                ("Haswell", 3)
            } else if cpuFlags.contains("avx") {
                ("Sandybridge", 2)
            } else {
                nil
            }
        guard let best, best.level > have else { return nil }
        return best.name
    }

    /// The vector level of an OpenBLAS x86-64 core name: 1 SSE, 2 AVX, 3 AVX2, 4 AVX-512.
    static func level(of core: String) -> Int? {
        switch core.lowercased() {
        case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "coppermine", "northwood", "banias",
            "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
            1
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": 2
        case "haswell", "zen": 3
        case "skylakex", "cooperlake", "sapphirerapids": 4
        default: nil
        }
    }

    /// The CPU's feature flags, from `/proc/cpuinfo` (empty where there is none).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
