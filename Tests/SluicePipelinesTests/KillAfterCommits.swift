import Foundation
import SluiceFormats
import SluiceTestSupport

/// `kill -9` for stages that commit versions (a model's, a merged digest's): runs `arguments`
/// up to `rounds` times, killing every other run the moment a new entry appears in `folder`
/// (a version committed, its batch's task most likely not completed yet) and the others at a
/// random moment, until a run ends by itself.
enum KillAfterCommits {
    /// How many runs were killed, and how many of them right after a commit.
    static func run(_ binary: String, _ arguments: [String], watching folder: String, rounds: Int = 12, seed: UInt64) async throws -> (kills: Int, afterCommit: Int) {
        let committed: @Sendable () -> Set<String> = {
            Set(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasSuffix(".partial") })
        }
        var random = SeededGenerator(seed: seed)
        var (kills, afterCommit) = (0, 0)
        for round in 0..<rounds {
            let before = committed()
            let delay = 0.05 + Double(random.next() % 1000) / 1000 * 0.6
            let start = ContinuousClock.now
            let landed = try await killWhen(binary, arguments) { () -> Bool? in
                if round % 2 == 0 { return committed().subtracting(before).isEmpty ? nil : true }
                return ContinuousClock.now - start >= .seconds(delay) ? false : nil
            }
            guard let landed else { break }
            kills += 1
            if landed { afterCommit += 1 }
        }
        return (kills, afterCommit)
    }
}
