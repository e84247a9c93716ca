import Foundation
public import ServiceLifecycle
import UnixSignals

/// SIGINT, SIGTERM and SIGUSR1 (what SLURM sends a job ahead of its time limit, with
/// `--signal=B:USR1@…`) as a service beside a run: the first calls `onFirst` (which asks the
/// runner to stop: work in flight is interrupted and given back, programs get SIGTERM and two
/// seconds); the second kills the stage programs at once (SIGKILL to their process groups) and
/// throws `StopError`, which cancels the whole run (the next run recovers what was in flight).
public struct StopSignals: Service {
    private let onFirst: @Sendable () -> Void

    /// Calls `onFirst` on the first SIGINT, SIGTERM or SIGUSR1.
    public init(onFirst: @escaping @Sendable () -> Void) { self.onFirst = onFirst }

    /// Waits for the signals until a graceful shutdown; throws `StopError` on the second one.
    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm, .sigusr1)
        var seen = 0
        for await _ in signals.cancelOnGracefulShutdown() {
            seen += 1
            if seen == 1 {
                onFirst()
            } else {
                ParentWatch.stopChildren(of: getpid(), timeout: 0)
                throw StopError()
            }
        }
    }
}

/// A second signal: stop at once.
public struct StopError: Error, Sendable {
    /// The error.
    public init() {}
}
