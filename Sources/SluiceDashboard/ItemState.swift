import SluiceEngine

/// One item as `GET /api/items/{item}` shows it: where each of its stages stands, and its
/// outputs that the run keeps.
struct ItemState: Encodable {
    struct Stage: Encodable {
        var name: String
        var state: String
        var attempts: Int
        var code: String?
        var message: String?
    }

    struct Output: Encodable {
        /// Relative to the workspace.
        var path: String
        var bytes: Int64
        var sha256: String?
    }

    var name: String
    /// `done`, `failed`, or `in progress` (waiting, pending, running or retrying).
    var state: String
    var stages: [Stage]
    var outputs: [Output]

    /// Reads `item` from the ledger; throws `dashboard.unknown-item` when the run has none.
    static func gather(item: String, from source: DashboardSource) async throws -> ItemState {
        let names = try await source.ledger.stageNames()
        let tasks = try await source.ledger.tasks(of: item)
        guard !tasks.isEmpty else { throw DashboardError(.unknownItem, "the run has no item named \(item)") }
        let stages = tasks.map { task in
            Stage(
                name: names.indices.contains(task.stage) ? names[task.stage] : "stage \(task.stage)", state: task.state.rawValue,
                attempts: task.attempts, code: task.failure?.code, message: task.failure?.message)
        }
        let state =
            tasks.contains { $0.state == .failed || $0.state == .blocked } ? "failed" : tasks.allSatisfy { $0.state == .done } ? "done" : "in progress"
        let outputs = try await source.ledger.liveArtifacts(item: item).filter { $0.area == .output }.sorted { $0.path < $1.path }.map {
            Output(path: $0.path, bytes: $0.bytes, sha256: $0.sha256)
        }
        return ItemState(name: item, state: state, stages: stages, outputs: outputs)
    }
}
