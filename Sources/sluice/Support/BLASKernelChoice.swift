import Foundation
import SluiceKernels

/// Picks OpenBLAS's kernels before any work: when OpenBLAS chose weaker kernels than the CPU
/// supports (``BLASKernels/preferred(cpuFlags:reported:)``) and the user set no
/// `OPENBLAS_CORETYPE`, the binary runs itself again once with it set (OpenBLAS reads it only
/// when it is loaded). `SLUICE_BLAS_CHOICE` tells the second run what was chosen and why, for
/// the logs (`sluice bench blas` prints it).
enum BLASKernelChoice {
    static let noteVariable = "SLUICE_BLAS_CHOICE"

    /// Re-executes the process with a better `OPENBLAS_CORETYPE`, or returns.
    static func reexecIfBetter() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[noteVariable] == nil else { return }
        let reported = BLASKernels.current
        guard let better = BLASKernels.preferred(cpuFlags: BLASKernels.cpuFlags(), reported: reported) else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        setenv(noteVariable, "\(better) (chosen by sluice: OpenBLAS alone picked \(reported), older than this CPU)", 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        // exec failed: go on with OpenBLAS's own choice.
        unsetenv("OPENBLAS_CORETYPE")
        setenv(noteVariable, "\(reported) (OpenBLAS's choice; running sluice again with \(better) failed)", 1)
    }

    /// The kernels in use, with how they were chosen.
    static var description: String {
        if let note = ProcessInfo.processInfo.environment[noteVariable], note.hasPrefix(BLASKernels.current) { return note }
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil { return "\(BLASKernels.current) (OPENBLAS_CORETYPE, as set)" }
        return "\(BLASKernels.current) (OpenBLAS's own choice)"
    }
}
