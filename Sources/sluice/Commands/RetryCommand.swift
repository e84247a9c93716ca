import ArgumentParser
import Foundation
import SluiceEngine

/// `sluice retry`: puts failed items back in the queue for the next `sluice run`.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Queue failed items again (the next `sluice run` retries them).")

    @Argument(help: "The pipeline file or its workspace folder.") var target: String
    @Argument(help: "Items to retry (names as `sluice status` shows them).") var items: [String] = []
    @Flag(help: "Retry every failed item.") var failed = false

    func validate() throws {
        guard failed != !items.isEmpty else { throw ValidationError("name the items to retry, or pass --failed for all failed items") }
    }

    func run() async throws {
        let (_, ledger, _) = try await WorkspaceArgument.resolve(target)
        let count = try await ledger.retry(items: failed ? nil : items, now: Date().timeIntervalSince1970)
        print("\(count) failed stage(s) queued again; run the pipeline to retry them.")
    }
}
