public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `scripts/services/hub-server.py` on 127.0.0.1: a loopback Hugging Face Hub (dataset
/// repositories over the Hub's HTTP API, LFS objects in `store`), with faults on demand.
public final class TestHub: Sendable {
    /// The port it listens on.
    public let port: Int
    /// The token it takes.
    public let token: String
    private let process: Process

    private init(port: Int, token: String, process: Process) {
        self.port = port
        self.token = token
        self.process = process
    }

    /// The Hub's address.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Starts one keeping its objects in `store`.
    public static func start(store: String, token: String = "loopback-token", pageSize: Int = 50) async throws -> TestHub {
        let started = try await ScriptService.start(
            "hub-server.py", arguments: [store, "--token", token, "--page-size", String(pageSize)], portFile: store + ".port")
        return TestHub(port: started.port, token: token, process: started.process)
    }

    /// Queues a fault: the next `count` requests whose path holds `match` get `status` (with
    /// `retryAfter` and the Hub message `error`), or with `truncate` an answer cut short.
    public func fault(_ match: String, status: Int = 500, count: Int = 1, retryAfter: Int? = nil, error: String? = nil, truncate: Bool = false) async throws {
        var fault: [String: Any] = ["match": match, "status": status, "count": count, "truncate": truncate]
        if let retryAfter { fault["retry_after"] = retryAfter }
        if let error { fault["error"] = error }
        var request = URLRequest(url: URL(string: endpoint + "/_loopback/faults")!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: fault)
        _ = try await URLSession.shared.data(for: request)
    }

    /// The requests it has served, as `METHOD PATH` lines.
    public func requests() async throws -> [String] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: endpoint + "/_loopback/log")!)
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The text of `path` in dataset repository `repository` (with the token), or nil.
    public func file(_ path: String, in repository: String) async throws -> Data? {
        var request = URLRequest(url: URL(string: endpoint + "/datasets/\(repository)/resolve/main/\(path)")!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode == 200 ? data : nil
    }

    /// The paths of the files in `repository`'s `main`.
    public func paths(in repository: String) async throws -> [String] {
        var request = URLRequest(url: URL(string: endpoint + "/api/datasets/\(repository)")!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: request)
        let info = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return ((info?["siblings"] as? [[String: Any]]) ?? []).compactMap { $0["rfilename"] as? String }
    }

    /// Stops it (``ScriptService/stop(_:)``).
    public func stop() async { await ScriptService.stop(process) }
}
