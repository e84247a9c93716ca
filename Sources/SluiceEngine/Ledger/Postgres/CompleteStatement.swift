import Foundation
import PostgresNIO

/// The statement every task's completion sends: `sluice_complete` and then — when the task was
/// completed and a next claim is asked for — `sluice_claim` for one task of that stage, each with
/// its own request id, so that a retry after a lost answer returns what each had done. Prepared
/// once per connection, so that the server parses and plans it once rather than on every
/// transition (a tenth of its time in `sluice bench ledger` went there).
struct CompleteStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT json_build_object('released', c.done::json, 'claimed',
            CASE WHEN c.done IS NOT NULL AND $1::bigint IS NOT NULL THEN
                sluice_claim($2, $3, $1, $4, 1, 1, NULL, NULL, $5, $6, $7)::json
            END)::text
        FROM (
            SELECT sluice_complete($8, $3, $9, $10, $4, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $6, $24)
            AS done OFFSET 0) c
        """

    static let bindingDataTypes: [PostgresDataType] = [
        .int8, .uuid, .bool, .text, .float8, .float8, .text, .uuid, .text, .int8, .int8,
        .textArray, .int8Array, .textArray, .textArray, .int8Array, .textArray, .textArray, .int8Array,
        .textArray, .textArray, .textArray, .textArray, .text,
    ]

    typealias Row = String?

    /// The completion's request id, and whether this is a retry of it.
    var request: UUID
    var isRetry: Bool
    var task: TaskKey
    var owner: String
    var artifacts: [ArtifactRecord]
    /// The artifacts' bytes together.
    var bytes: Int64
    var releasing: [TaskKey]
    var ingesting: [IngestRecord]
    var now: Double
    /// The `done` event's words, `{attempt}` standing for the attempt.
    var words: String
    /// The stage to claim a task of next, its lease's end, the claim's own request id and its
    /// event's words; a nil stage claims nothing.
    var claimStage: Int?
    var claimUntil: Double?
    var claimRequest: UUID
    var claimWords: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 24)
        bindings.append(claimStage.map(Int64.init))
        bindings.append(claimRequest)
        bindings.append(isRetry)
        bindings.append(owner)
        bindings.append(claimUntil)
        bindings.append(now)
        bindings.append(claimWords)
        bindings.append(request)
        bindings.append(task.item)
        bindings.append(Int64(task.stage))
        bindings.append(bytes)
        bindings.append(artifacts.map(\.task.item))
        bindings.append(artifacts.map { Int64($0.task.stage) })
        bindings.append(artifacts.map(\.path))
        bindings.append(artifacts.map(\.area.rawValue))
        bindings.append(artifacts.map(\.bytes))
        bindings.append(artifacts.map { $0.sha256 ?? "" })
        bindings.append(releasing.map(\.item))
        bindings.append(releasing.map { Int64($0.stage) })
        bindings.append(ingesting.map(\.collection))
        bindings.append(ingesting.map(\.item))
        bindings.append(ingesting.map(\.name))
        bindings.append(ingesting.map(\.content))
        bindings.append(words)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> String? { try row.decode(String?.self) }
}
