import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The ENA Portal API's file report on 127.0.0.1, as its documentation describes it:
/// `GET /ena/portal/api/filereport?accession=A&result=read_run&fields=F,…&format=json&limit=N&offset=K`
/// answers the runs of a study, sample, experiment or run accession as a JSON list of objects
/// of strings (the fields asked for, `run_accession` always), `limit` rows from `offset` (0: all),
/// and 204 with no content when none match. The first `busy` requests get 429 with
/// `Retry-After: 1`.
public final class EnaPortalServer: Sendable {
    /// The port it listens on.
    public let port: Int
    private let task: Task<Void, any Error>
    private let seen: Seen

    /// The requests' query strings, shared with the route.
    private final class Seen: Sendable {
        let list = Mutex<[String]>([])
    }

    private init(port: Int, task: Task<Void, any Error>, seen: Seen) {
        self.port = port
        self.task = task
        self.seen = seen
    }

    /// The API's address, for `api:`.
    public var base: String { "http://127.0.0.1:\(port)/ena/portal/api" }

    /// The query strings of the file report requests so far.
    public var requests: [String] { seen.list.withLock { $0 } }

    /// Serves `rows` (every column a string; `run_accession`, `study_accession`, … say which
    /// accessions match a row).
    public static func start(rows: [[String: String]], busy: Int = 0) async throws -> EnaPortalServer {
        let seen = Seen()
        let router = Router()
        router.get("/ena/portal/api/filereport") { request, _ -> Response in
            let count = seen.list.withLock { seen in
                seen.append(request.uri.query ?? "")
                return seen.count
            }
            if count <= busy {
                return Response(status: .tooManyRequests, headers: [.retryAfter: "1"], body: ResponseBody(byteBuffer: ByteBuffer(string: "busy")))
            }
            let parameters = request.uri.queryParameters
            guard let accession = parameters["accession"].map(String.init), parameters["result"] == "read_run", parameters["format"] == "json" else {
                return Response(status: .badRequest, body: ResponseBody(byteBuffer: ByteBuffer(string: "accession, result=read_run and format=json are required")))
            }
            let fields = Set((parameters["fields"].map(String.init) ?? "").split(separator: ",").map(String.init) + ["run_accession"])
            let limit = Int(parameters["limit"].map(String.init) ?? "") ?? 100_000
            let offset = Int(parameters["offset"].map(String.init) ?? "") ?? 0
            let matching = rows.filter { row in
                ["study_accession", "secondary_study_accession", "sample_accession", "experiment_accession", "run_accession"].contains { row[$0] == accession }
            }
            let page = Array(matching.dropFirst(offset).prefix(limit == 0 ? .max : limit)).map { $0.filter { fields.contains($0.key) } }
            guard !page.isEmpty else { return Response(status: .noContent) }
            let body = try JSONSerialization.data(withJSONObject: page, options: [.sortedKeys])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "sluice.test.ena")
        logger.logLevel = .critical
        let application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        let task = Task { try await application.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the ENA test server did not start"])
        }
        return EnaPortalServer(port: port, task: task, seen: seen)
    }

    /// Stops it.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
