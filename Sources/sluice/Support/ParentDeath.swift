import Foundation
import SluiceEngine

/// Honours ``ParentWatch``: when a stage of a run started this process, it ends when that run
/// does (or when the `sluice measure` between them does), and takes its process group along. A
/// thread checks once a second whether the run is still its parent (after a `kill -9` the
/// kernel re-parents this process); the kernel's own `PR_SET_PDEATHSIG` is not used because it
/// fires when the spawning *thread* ends, and the run's worker threads come and go.
enum ParentDeath {
    static func dieWithParentIfAsked() {
        let environment = ProcessInfo.processInfo.environment
        guard let text = environment[ParentWatch.watchVariable] ?? environment[ParentWatch.variable], let parent = pid_t(text) else { return }
        let watcher = Thread {
            while getppid() == parent { sleep(1) }
            // A stage's program leads a process group of its own: the programs it started
            // (what `sluice measure` runs) go with it, rather than writing on into the workspace.
            if getpgrp() == getpid() { kill(0, SIGKILL) }
            // Exit status 137, as if killed with the run: no outputs are committed by a child.
            _exit(137)
        }
        watcher.start()
    }
}
