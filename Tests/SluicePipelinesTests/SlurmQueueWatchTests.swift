import Foundation
import SluicePipelines
import Synchronization
import Testing

/// The one look at SLURM's queue per interval rides out a controller that does not answer for a
/// while (its jobs run on), and gives up only after its patience.
struct SlurmQueueWatchTests {
    struct ControllerDown: Error {}

    @Test func aControllerThatComesBackIsWaitedFor() async throws {
        let calls = Mutex(0)
        let job = SlurmJob(id: "7", arrayID: "7", name: "sluice-x", state: "RUNNING")
        // The first three looks fail (slurmctld restarting), the fourth answers.
        let watch = SlurmQueueWatch(interval: 0.05, patience: 60) {
            let call = calls.withLock {
                $0 += 1; return $0
            }
            if call <= 3 { throw ControllerDown() }
            return [job]
        }
        #expect(try await watch.jobs() == [job])
        #expect(calls.withLock { $0 } == 4)
    }

    @Test func aControllerDownLongerThanThePatienceIsAnError() async throws {
        let calls = Mutex(0)
        let watch = SlurmQueueWatch(interval: 0.05, patience: 0.3) {
            calls.withLock { $0 += 1 }
            throw ControllerDown()
        }
        await #expect(throws: ControllerDown.self) { try await watch.jobs() }
        // It kept asking, once an interval, until its patience ran out.
        #expect(calls.withLock { $0 } >= 2)
    }
}
