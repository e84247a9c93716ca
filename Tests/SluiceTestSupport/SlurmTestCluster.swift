import Foundation

/// The SLURM cluster tests submit jobs to: this machine's, started by `make test` through
/// `scripts/services/slurm.sh run` (which sets `SLUICE_TEST_SLURM`), else started here once per
/// test process when this machine can (root). In CI the tests that need it always run: with no
/// cluster they fail, never skip.
public enum SlurmTestCluster {
    /// Whether a cluster answers (started here if need be).
    public static let isUp: Bool = {
        if ProcessInfo.processInfo.environment["SLUICE_TEST_SLURM"] != nil { return true }
        guard getuid() == 0 else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SluiceBinary.root + "/scripts/services/slurm.sh")
        process.arguments = ["start"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// Whether tests that need SLURM run: when there is a cluster, and always in CI.
    public static var runs: Bool {
        if isUp || ProcessInfo.processInfo.environment["CI"] != nil { return true }
        FileHandle.standardError.write(Data("skipped: no SLURM (run as root, or set SLUICE_TEST_SLURM with a cluster up)\n".utf8))
        return false
    }
}
