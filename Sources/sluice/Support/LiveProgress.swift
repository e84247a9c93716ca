import ServiceLifecycle
import SluiceEngine

/// The live progress block of a run, as a service beside it: redrawn until the run ends, then erased.
struct LiveProgress: Service {
    let display: RunDisplay
    let runner: PipelineRunner

    func run() async {
        await cancelWhenGracefulShutdown { await display.follow(runner) }
        display.finish()
    }
}
