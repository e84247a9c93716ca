import ArgumentParser
import Foundation
import SluiceEngine

/// `sluice events`: the ledger's append-only event log.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the ledger's event log (claims, completions, failures, retries).")

    @Argument(help: "The pipeline file or its workspace folder.") var target: String
    @Flag(help: "Keep printing new events as they happen.") var follow = false
    @Option(help: "Only events of this item.") var item: String?
    @Flag(help: "One JSON object per line.") var json = false

    func run() async throws {
        let (_, ledger, _) = try await WorkspaceArgument.resolve(target)
        let stages = try await ledger.stageNames()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var last: Int64 = 0
        repeat {
            let events = try await ledger.events(after: last, limit: 1000)
            for event in events {
                last = event.sequence
                if let item, event.item != item { continue }
                if json {
                    print(String(decoding: try encoder.encode(event), as: UTF8.self))
                } else {
                    let time = Date(timeIntervalSince1970: event.time).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
                    let stage = event.stage.map { stages[safe: $0] ?? "\($0)" }.map { " \($0)" } ?? ""
                    print("\(time) \(event.kind)\(event.item.map { " \($0)" } ?? "")\(stage): \(event.message)")
                }
            }
            if events.count == 1000 { continue }
            if follow { try await Task.sleep(for: .milliseconds(500)) }
        } while follow && !Task.isCancelled
    }
}
