import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
public import ServiceLifecycle
import SluiceEngine
import Synchronization

/// The live dashboard: a page with the run's views, kept current by Server-Sent Events, over
/// a small HTTP API (docs/dashboard-api.yaml) — state, events, an item's stages, outputs and
/// log, Prometheus metrics, and, with control allowed, stop, retry and submissions. Runs as a
/// service: beside the runner in `sluice run --serve`, or alone in `sluice dashboard`.
public final class DashboardServer: Service, Sendable {
    private let source: DashboardSource
    private let access: DashboardAccess
    private let onListening: @Sendable (String) -> Void
    /// Seconds between two looks at the ledger for each event stream.
    private let interval: Double
    /// Set when the service is asked to shut down: event streams end, so the server can.
    private let closing = Mutex(false)
    /// What the event streams send, read at most twice per interval for all of them.
    private let shared: SharedSnapshot

    /// A server for `source` under `access`; `onListening` receives its address
    /// (`http://HOST:PORT/`) once it accepts connections.
    public init(source: DashboardSource, access: DashboardAccess, interval: Double = 1, onListening: @escaping @Sendable (String) -> Void) {
        self.source = source
        self.access = access
        self.interval = interval
        self.onListening = onListening
        shared = SharedSnapshot(source: source, control: access.allowsControl, maxAge: .milliseconds(Int(interval * 500)))
    }

    public func run() async throws {
        var logger = Logger(label: "sluice.dashboard")
        logger.logLevel = .critical
        let address = access.address
        let application = Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(address, port: access.port), serverName: "sluice"),
            onServerRunning: { [onListening] channel in
                let port = channel.localAddress?.port ?? 0
                onListening("http://\(address.contains(":") ? "[\(address)]" : address):\(port)/")
            },
            logger: logger)
        do {
            try await withGracefulShutdownHandler {
                try await application.run()
            } onGracefulShutdown: {
                self.closing.withLock { $0 = true }
            }
        } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EADDRNOTAVAIL || error.errnoCode == EACCES {
            let reason = error.errnoCode == EADDRINUSE ? "is in use" : error.errnoCode == EACCES ? "is not allowed to this user" : "is not an address of this machine"
            throw DashboardError(
                .cannotListen, "the dashboard cannot listen on \(address) port \(access.port): it \(reason); choose another with --address/--port (--port 0 picks a free one)")
        }
    }

    private var isClosing: Bool { closing.withLock { $0 } }

    // MARK: Routes

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: TokenMiddleware(access: access))
        router.get("/") { [self] _, _ in
            let initial = try Self.encoder.encode(try await DashboardSnapshot.gather(source, control: access.allowsControl))
            return Self.text(DashboardPage.html(initial: String(decoding: initial, as: UTF8.self)), type: "text/html; charset=utf-8")
        }
        router.get("/metrics") { [source] _, _ in
            Self.text(try await source.metrics(), type: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/api/state") { [self] _, _ in
            Self.json(try await DashboardSnapshot.gather(source, control: access.allowsControl))
        }
        router.get("/api/events") { [self] _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in try await self.stream(to: &writer) })
        }
        router.get("/api/items/:item") { [source] _, context in
            let item = try context.parameters.require("item")
            return Self.json(try await ItemState.gather(item: item, from: source))
        }
        router.get("/api/items/:item/log") { [source] request, context in
            let item = try context.parameters.require("item")
            _ = try await ItemState.gather(item: item, from: source)  // a known item, or 404
            let count = min(1_000, max(1, Int(request.uri.queryParameters["lines"].map(String.init) ?? "") ?? 50))
            return Self.json(["lines": try ItemLog.tail(item: item, in: source.workspace, count: count)])
        }
        router.post("/api/items") { [self] request, _ in
            try requireControl()
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            let submission: Submission
            do {
                submission = try JSONDecoder().decode(Submission.self, from: Data(body.readableBytesView))
            } catch {
                throw DashboardError(.badSubmission, "the body must be JSON with a name and a url (and, if known, size, checksum and group)")
            }
            let item = try submission.item()
            try await source.submit(item)
            var response = Self.json(try await ItemState.gather(item: item.name, from: source))
            response.status = .created
            return response
        }
        router.post("/api/items/:item/retry") { [self] _, context in
            try requireControl()
            let item = try context.parameters.require("item")
            _ = try await ItemState.gather(item: item, from: source)
            return Self.json(["retried": try await source.retry(item: item)])
        }
        router.post("/api/stop") { [self] _, _ in
            try requireControl()
            return Self.json(["message": try await source.stop()])
        }
        return router
    }

    private func requireControl() throws {
        guard access.allowsControl else {
            throw DashboardError(.readOnly, "this dashboard is read-only: start it with --allow-control to stop, retry and submit")
        }
    }

    /// The event stream: a `snapshot` event whenever the state changed (looked at every
    /// ``interval``), a comment every 15 s otherwise so that proxies keep the connection, until
    /// the client goes or the server shuts down.
    private func stream(to writer: inout any ResponseBodyWriter) async throws {
        var last: Data?
        var quiet = 0.0
        while !isClosing, !Task.isCancelled {
            let data = try? await shared.data()
            if let data, data != last {
                try await writer.write(ByteBuffer(string: "event: snapshot\ndata: " + String(decoding: data, as: UTF8.self) + "\n\n"))
                last = data
                quiet = 0
            } else if quiet >= 15 {
                try await writer.write(ByteBuffer(string: ": still here\n\n"))
                quiet = 0
            }
            await pause()
            quiet += interval
        }
        try await writer.finish(nil)
    }

    /// Waits ``interval`` seconds, or less when the server starts to shut down: a run with a
    /// watcher must not wait up to a whole interval for its stream to notice the end.
    private func pause() async {
        let until = ContinuousClock.now + .seconds(interval)
        while !isClosing, !Task.isCancelled, ContinuousClock.now < until {
            try? await Task.sleep(for: min(.milliseconds(50), until - ContinuousClock.now))
        }
    }

    // MARK: Responses

    /// Compact JSON for the page and the event stream.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
