import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceLoopback
import SluiceTestSupport
import Testing
import Yams

/// The live dashboard (`sluice dashboard`, `sluice run --serve`): its page in headless
/// Chromium holds the run's numbers, its event stream changes while the run goes, tokens are
/// checked on every request, control is off unless asked for, and submissions reach a run
/// that waits for them.
@Suite("Live dashboard", .serialized)
struct DashboardTests {
    /// `count` small files in `in/` and a pipeline whose command stage takes `seconds` per item
    /// (one at a time), its outputs kept.
    static func pipeline(in folder: TemporaryDirectory, count: Int, seconds: Double, gate: String? = nil) throws -> String {
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for index in 0..<count {
            try Data(repeating: UInt8(index), count: 10_000 + index).write(to: URL(fileURLWithPath: folder.file("in/f\(index).dat")))
        }
        let yaml = """
            workspace: ./work
            budget: {total: 50MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command: {name: copy, argv: [sh, -c, '\(gate.map { "while [ ! -e \($0) ]; do sleep 0.05; done; " } ?? "")sleep \(seconds); echo copied "$0"; cat "$0"/* > "$1/copy.dat"', "{in}", "{out}"], outputs: [copy.dat]}
              - cleanup: {keep: [output]}
            """
        try yaml.write(toFile: folder.file("pipeline.yaml"), atomically: true, encoding: .utf8)
        return folder.file("pipeline.yaml")
    }

    struct Answer {
        var status: Int
        var body: String
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
    }

    static func request(_ url: String, method: HTTPMethod = .GET, body: String? = nil, bearer: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: data))
    }

    /// The `snapshot` events of the stream at `url` until `enough` says so or `seconds` pass.
    static func snapshots(_ url: String, seconds: Int, enough: @escaping ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), deadline: .now() + .seconds(Int64(seconds)))
        } catch {
            Issue.record("cannot open the event stream at \(url): \(error)")
            return []
        }
        #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
        var text = ""
        var events: [[String: Any]] = []
        do {
            for try await piece in response.body {
                text += String(buffer: piece)
                while let end = text.range(of: "\n\n") {
                    let block = String(text[..<end.lowerBound])
                    text = String(text[end.upperBound...])
                    guard block.hasPrefix("event: snapshot\ndata: ") else { continue }
                    let data = Data(block.dropFirst("event: snapshot\ndata: ".count).utf8)
                    if let event = try JSONSerialization.jsonObject(with: data) as? [String: Any] { events.append(event) }
                }
                if enough(events) { break }
            }
        } catch {
            // The deadline ends the stream: what came before it is the answer.
        }
        return events
    }

    static func done(_ snapshot: [String: Any]) -> Int { (snapshot["items"] as? [String: Any])?["done"] as? Int ?? -1 }

    @Test("during a run, the event stream changes and the page in Chromium shows the ledger's numbers")
    func aLiveRunIsWatched() async throws {
        let folder = try TemporaryDirectory("sluice-dashboard")
        // Copies wait for the gate, which opens once the stream is open: however busy the
        // machine, the stream sees the run before and after items finish.
        let gate = folder.file("gate")
        let pipeline = try Self.pipeline(in: folder, count: 8, seconds: 0.3, gate: gate)
        // --wait keeps the finished run (and its server) up until the test has looked at it.
        let run = try await ServedSluice(["run", pipeline, "--quiet", "--serve", "--wait", "--allow-control"], in: folder.path)
        // Two snapshots that differ in items done: the stream follows the run.
        let opener = Task {
            try await Task.sleep(for: .seconds(1))
            _ = FileManager.default.createFile(atPath: gate, contents: Data())
        }
        let events = try await Self.snapshots(run.base + "/api/events", seconds: 120) { events in
            Set(events.map(Self.done)).count >= 2
        }
        try await opener.value
        #expect(Set(events.map(Self.done)).count >= 2, "\(events.map(Self.done)); the run printed \(run.printed)")
        if let first = events.first {
            #expect((first["stages"] as? [[String: Any]])?.map { $0["name"] as? String } == ["fetch", "copy", "cleanup"])
            #expect((first["disk"] as? [[String: Any]])?.contains { $0["area"] as? String == "total" && $0["quota"] as? Int == 50_000_000 } == true)
        }
        // Metrics from the runner itself, while it runs.
        let metrics = try await Self.request(run.base + "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("sluice_tasks{stage=\"copy\""), "\(metrics.body.prefix(400))")
        #expect(metrics.body.contains("sluice_budget_bytes 50000000"), "\(metrics.body.prefix(2000))")
        if Chromium.runs {
            // The page as a browser renders it, against /api/state read just before and just
            // after it: the run goes on while Chromium starts (seconds on a loaded machine), so
            // the page must show a count the ledger held somewhere in that window.
            let before = try #require(try await Self.request(run.base + "/api/state").json)
            let dom = try await Chromium.dom(run.base + "/", live: true)
            let after = try #require(try await Self.request(run.base + "/api/state").json)
            let shown = try #require(Self.number(in: dom, id: "items-done"), "\(dom.prefix(3000))")
            #expect(
                (Self.done(before)...Self.done(after)).contains(shown),
                "page \(shown), ledger \(Self.done(before)) before and \(Self.done(after)) after")
            #expect(dom.contains("id=\"stage-copy\""))
            #expect(dom.contains("id=\"disk-total\""))
        }
        // Every item done, then the run (which waits for more) is stopped.
        var finished: [String: Any] = [:]
        for _ in 0..<600 where Self.done(finished) < 8 {
            finished = try await Self.request(run.base + "/api/state").json ?? [:]
            if Self.done(finished) < 8 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(try await Self.request(run.base + "/api/stop", method: .POST).status == 200)
        #expect(await run.wait() == 130, "\(run.printed)")
        #expect(run.printed.output.contains("8 of 8 items done"), "\(run.printed)")
    }

    @Test("the page of a finished run holds its numbers and is not blank; an item's stages, outputs and log are served")
    func aFinishedRunIsShown() async throws {
        let folder = try TemporaryDirectory("sluice-dashboard")
        let pipeline = try Self.pipeline(in: folder, count: 3, seconds: 0)
        #expect(try await SluiceBinary.run(["run", pipeline, "--quiet"], in: folder.path).status == 0)
        let dashboard = try await ServedSluice(["dashboard", folder.file("work")], in: folder.path)
        let item = try await Self.request(dashboard.base + "/api/items/f1.dat")
        #expect(item.status == 200)
        #expect(item.json?["state"] as? String == "done", "\(item.body)")
        let outputs = item.json?["outputs"] as? [[String: Any]] ?? []
        #expect(outputs.map { $0["path"] as? String } == ["output/f1.dat/copy/copy.dat"], "\(item.body)")
        let log = try await Self.request(dashboard.base + "/api/items/f1.dat/log?lines=10")
        #expect(log.body.contains("copied ") && log.body.contains("f1.dat"), "\(log.body)")
        #expect(try await Self.request(dashboard.base + "/api/items/nothing").status == 404)
        let metrics = try await Self.request(dashboard.base + "/metrics")
        #expect(metrics.body.contains("sluice_tasks{stage=\"copy\",state=\"done\"} 3"), "\(metrics.body.prefix(2000))")
        if Chromium.runs {
            let dom = try await Chromium.dom(dashboard.base + "/", live: true)
            #expect(Self.number(in: dom, id: "items-done") == 3, "\(dom.prefix(3000))")
            #expect(Self.number(in: dom, id: "items-failed") == 0)
            let shot = folder.file("dashboard.png")
            try await Chromium.screenshot(dashboard.base + "/", to: shot, width: 1100, height: 900, live: true)
            #expect(try Chromium.inkedShare(ofPNG: shot) > 0.01)
        }
        #expect(await dashboard.stop() == 0, "\(dashboard.printed)")
    }

    @Test("docs/dashboard-api.yaml describes what the dashboard serves: every path, and the state's fields")
    func theOpenAPIFileIsTrue() async throws {
        let folder = try TemporaryDirectory("sluice-dashboard")
        let pipeline = try Self.pipeline(in: folder, count: 1, seconds: 0)
        #expect(try await SluiceBinary.run(["run", pipeline, "--quiet"], in: folder.path).status == 0)
        let text = try String(contentsOfFile: SluiceBinary.root + "/docs/dashboard-api.yaml", encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let dashboard = try await ServedSluice(["dashboard", pipeline], in: folder.path)
        for (path, operations) in paths.sorted(by: { $0.key < $1.key }) {
            let url = dashboard.base + path.replacingOccurrences(of: "{item}", with: "f0.dat")
            for method in operations.keys where method == "get" || method == "post" {
                if path == "/api/events" {
                    #expect(try await Self.snapshots(url, seconds: 10) { !$0.isEmpty }.count == 1)
                    continue
                }
                // Read-only: every POST is refused as such (so it exists); every GET answers.
                let answer = try await Self.request(url, method: method == "get" ? .GET : .POST, body: method == "post" ? "{}" : nil)
                #expect(answer.status == (method == "get" ? 200 : 403), "\(method) \(path): \(answer.status) \(answer.body)")
            }
        }
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        let documented = Set((schemas["Snapshot"]?["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
        let served = Set(try #require(try await Self.request(dashboard.base + "/api/state").json).keys)
        #expect(documented == served)
        let item = Set(try #require(try await Self.request(dashboard.base + "/api/items/f0.dat").json).keys)
        #expect(Set((schemas["Item"]?["properties"] as? [String: Any])?.keys.map { $0 } ?? []) == item)
        #expect(await dashboard.stop() == 0)
    }

    @Test("a non-loopback address needs a token file; with one, a request without the token or with a wrong one gets 401")
    func tokensAreChecked() async throws {
        let folder = try TemporaryDirectory("sluice-dashboard")
        let pipeline = try Self.pipeline(in: folder, count: 1, seconds: 0)
        #expect(try await SluiceBinary.run(["run", pipeline, "--quiet"], in: folder.path).status == 0)
        for command in [["dashboard", pipeline], ["run", pipeline, "--serve"]] {
            let refused = try await SluiceBinary.run(command + ["--address", "0.0.0.0", "--port", "0"], in: folder.path, timeout: 60)
            #expect(refused.status != 0)
            #expect(refused.standardError.contains("--token-file"), "\(refused.standardError)")
        }
        // A port in use: the command ends with one sentence saying so.
        let taken = try LoopbackSocket.bound(listening: true)
        defer { close(taken.socket) }
        let busy = try await SluiceBinary.run(["run", pipeline, "--serve", "--port", String(taken.port)], in: folder.path, timeout: 60)
        #expect(busy.status == 2 && busy.standardError.contains("port \(taken.port): it is in use"), "\(busy.standardError)")
        let short = folder.file("short.token")
        try "abc\n".write(toFile: short, atomically: true, encoding: .utf8)
        let weak = try await SluiceBinary.run(["dashboard", pipeline, "--token-file", short, "--port", "0"], in: folder.path, timeout: 60)
        #expect(weak.status != 0 && weak.standardError.contains("at least 16 characters"), "\(weak.standardError)")

        let token = "s3cret-token-0123456789abcdef"
        try "\(token)\n".write(toFile: folder.file("token"), atomically: true, encoding: .utf8)
        let dashboard = try await ServedSluice(
            ["dashboard", pipeline, "--address", "0.0.0.0", "--token-file", folder.file("token")], in: folder.path)
        let base = dashboard.base.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
        for path in ["/", "/api/state", "/api/events", "/metrics", "/api/items/f0.dat"] {
            let none = try await Self.request(base + path)
            #expect(none.status == 401, "\(path) without a token: \(none.status)")
            #expect(none.json?["code"] as? String == "dashboard.unauthorized")
            #expect(try await Self.request(base + path, bearer: token + "x").status == 401, "\(path), a wrong token")
            #expect(try await Self.request(base + path + "?token=nearly-\(token.dropFirst(7))").status == 401)
        }
        #expect(try await Self.request(base + "/api/state", bearer: token).status == 200)
        #expect(try await Self.request(base + "/api/state?token=\(token)").status == 200)
        let events = try await Self.snapshots(base + "/api/events?token=\(token)", seconds: 10) { !$0.isEmpty }
        #expect(events.count == 1)
        // Read-only: control is refused even with the token.
        let stop = try await Self.request(base + "/api/stop", method: .POST, bearer: token)
        #expect(stop.status == 403 && stop.json?["code"] as? String == "dashboard.read-only", "\(stop.body)")
        #expect(await dashboard.stop() == 0)
    }

    @Test("submissions reach a run that waits for them; bad ones are refused with a reason; stop ends the run")
    func submissionsReachAWaitingRun() async throws {
        let folder = try TemporaryDirectory("sluice-dashboard")
        let pipeline = try Self.pipeline(in: folder, count: 2, seconds: 0)
        let served = folder.file("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        let upload = Data((0..<50_000).map { UInt8($0 % 251) })
        try upload.write(to: URL(fileURLWithPath: served + "/upload.dat"))
        let server = try await LoopbackServer.start(root: served)
        let run = try await ServedSluice(["run", pipeline, "--quiet", "--serve", "--wait", "--allow-control"], in: folder.path)
        // Wait for the two items of the pipeline file.
        var state: [String: Any] = [:]
        for _ in 0..<600 where Self.done(state) < 2 {
            state = try await Self.request(run.base + "/api/state").json ?? [:]
            if Self.done(state) < 2 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(Self.done(state) == 2)
        #expect(run.process.isRunning, "a run with --wait ended with nothing left to do: \(run.printed)")

        let bad: [(String, String)] = [
            (#"{"name": "../escape", "url": "\#(server.url("upload.dat"))"}"#, "names folders"),
            (#"{"name": "local", "url": "file:///etc/passwd"}"#, "not an http or https URL"),
            (#"{"name": "sum", "url": "\#(server.url("upload.dat"))", "checksum": "sha256:123"}"#, "is not a sha256 digest"),
            (#"{"name": "f0.dat", "url": "\#(server.url("upload.dat"))"}"#, "has an item named f0.dat already"),
            ("not json", "must be JSON"),
        ]
        for (body, reason) in bad {
            let answer = try await Self.request(run.base + "/api/items", method: .POST, body: body)
            #expect(answer.status == 400, "\(body): \(answer.status) \(answer.body)")
            #expect((answer.json?["message"] as? String)?.contains(reason) == true, "\(body): \(answer.body)")
        }
        let sha = PipelineHarness.sha256(upload)
        let accepted = try await Self.request(
            run.base + "/api/items", method: .POST,
            body: #"{"name": "upload", "url": "\#(server.url("upload.dat"))", "size": 50000, "checksum": "sha256:\#(sha)"}"#)
        #expect(accepted.status == 201, "\(accepted.body)")
        var item: [String: Any] = [:]
        for _ in 0..<600 where item["state"] as? String != "done" {
            item = try await Self.request(run.base + "/api/items/upload").json ?? [:]
            if item["state"] as? String != "done" { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(item["state"] as? String == "done", "\(item)")
        let outputs = (item["outputs"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(outputs == ["output/upload/copy/copy.dat"])
        #expect(FileManager.default.contents(atPath: folder.file("work/output/upload/copy/copy.dat")) == upload)

        let stop = try await Self.request(run.base + "/api/stop", method: .POST)
        #expect(stop.status == 200, "\(stop.body)")
        #expect(await run.wait(timeout: 60) == 130, "\(run.printed)")
        #expect(run.printed.output.contains("3 of 3 items done"), "\(run.printed)")
        try await server.shutdown()
    }

    @Test(
        "a real Prometheus scrapes /metrics every second during a run; the sluice_ series read back through its API hold the run's numbers",
        .enabled(if: PrometheusServer.runs, "skipped: no Prometheus (apt install prometheus)"))
    func prometheusScrapesARun() async throws {
        let folder = try TemporaryDirectory("sluice-dashboard")
        let count = 6
        let gate = folder.file("gate")
        let pipeline = try Self.pipeline(in: folder, count: count, seconds: 0.2, gate: gate)
        // Prometheus first, so that it scrapes the run from its start (it finds nothing there
        // until the run listens); --wait keeps the finished run and its /metrics up until the
        // test has read Prometheus.
        let port = try LoopbackSocket.freePort()
        let prometheus = try await PrometheusServer(scraping: "127.0.0.1:\(port)")
        // Its first scrapes begin seconds after it is ready (target discovery waits): the run
        // starts once one has failed, finding nothing there yet.
        var looked = false
        for _ in 0..<120 where !looked {
            looked = try await prometheus.query(#"up{job="sluice"}"#).first?.value == 0
            if !looked { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(looked, "Prometheus never scraped its target")
        let run = try await ServedSluice(["run", pipeline, "--quiet", "--serve", "--wait", "--allow-control"], in: folder.path, port: port)
        // The copies wait until Prometheus has scraped the run with none of them done.
        var before: Double = -1
        for _ in 0..<240 where before != 0 {
            before = try await prometheus.query(#"sluice_tasks{job="sluice",stage="copy",state="done"}"#).first?.value ?? -1
            if before != 0 { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(before == 0, "Prometheus never scraped the run before its copies")
        _ = FileManager.default.createFile(atPath: gate, contents: Data())
        var done: Double = -1
        for _ in 0..<240 where done != Double(count) {
            done = try await prometheus.query(#"sluice_tasks{job="sluice",stage="copy",state="done"}"#).first?.value ?? -1
            if done != Double(count) { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(done == Double(count), "Prometheus never saw the \(count) copies done")
        #expect(try await prometheus.query(#"up{job="sluice"}"#).first?.value == 1)
        // Prometheus saw the run go: fewer copies done in an earlier scrape than at the end.
        let least = try await prometheus.query(#"min_over_time(sluice_tasks{stage="copy",state="done"}[5m])"#).first?.value
        #expect(least.map { $0 < Double(count) } == true, "the first scrape already saw \(least ?? -1) copies done")
        let budget = try await prometheus.query("sluice_budget_bytes").first?.value
        #expect(budget == 50_000_000)
        let attempts = try await prometheus.query(#"sum(sluice_attempts_total{stage="copy",status="COMPLETED"})"#).first?.value
        #expect(attempts == Double(count))
        await prometheus.stop()
        #expect(try await Self.request(run.base + "/api/stop", method: .POST).status == 200)
        #expect(await run.wait(timeout: 60) == 130, "\(run.printed)")
    }

    @Test("clients that open event streams and never read them do not hold the run up")
    func stalledClientsDoNotStopTheRun() async throws {
        let folder = try TemporaryDirectory("sluice-dashboard")
        // The work waits for the gate, so that the run cannot end before the clients connect.
        let gate = folder.file("open")
        let pipeline = try Self.pipeline(in: folder, count: 6, seconds: 0.2, gate: gate)
        let run = try await ServedSluice(["run", pipeline, "--quiet", "--serve"], in: folder.path)
        let port = try #require(Int(run.base.split(separator: ":").last ?? ""))
        // Twenty raw connections that ask for the stream and then read nothing.
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        for _ in 0..<20 {
            let socket = try Self.connect(port: port)
            let request = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            _ = request.withCString { send(socket, $0, strlen($0), 0) }
            sockets.append(socket)
        }
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        #expect(await run.wait(timeout: 120) == 0, "\(run.printed)")
        #expect(run.printed.output.contains("6 of 6 items done"), "\(run.printed)")
    }

    static func connect(port: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw ServedSluiceError(description: "cannot connect to port \(port)") }
        return socket
    }

    /// The number in the element with `id` in a dumped DOM.
    static func number(in dom: String, id: String) -> Int? {
        guard let start = dom.range(of: "id=\"\(id)\">") else { return nil }
        return Int(dom[start.upperBound...].prefix { $0.isNumber })
    }
}
