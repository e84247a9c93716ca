import ArgumentParser

/// The exit statuses `sluice` uses, so scripts can tell "some items failed" from "could not run".
enum SluiceExitCode {
    /// Everything asked for was done.
    static let success = ExitCode.success
    /// The run finished but some items failed (see the summary).
    static let someItemsFailed = ExitCode(3)
    /// Every worker submitted to SLURM ended (cancelled, out of time) with work left.
    static let workersEnded = ExitCode(4)
    /// Nothing could be done: bad input, a malformed config, a missing file.
    static let couldNotRun = ExitCode(2)
}
