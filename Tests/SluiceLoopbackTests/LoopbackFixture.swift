import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceLoopback

/// A temporary root holding `f` (300 KiB of deterministic bytes) and, one level up, `outside.bin`,
/// served by a fresh ``LoopbackServer`` and read with a fresh `HTTPClient`.
struct LoopbackFixture {
    /// The size of the served file `f`.
    static let fileSize = 300 * 1024

    /// The bytes of `f`: deterministic and not periodic at any small power of two.
    static let fileBytes: [UInt8] = (0..<fileSize).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ ($0 >> 9) &* 13) }

    let server: LoopbackServer
    let client: HTTPClient

    /// Runs `body` against a fresh server and client, shutting both down and removing the files afterwards.
    static func with(_ body: (LoopbackFixture) async throws -> Void) async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-loopback-\(UUID().uuidString)")
        let root = base.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("dir"), withIntermediateDirectories: true)
        try Data(fileBytes).write(to: root.appendingPathComponent("f"))
        try Data("secret".utf8).write(to: base.appendingPathComponent("outside.bin"))
        defer { try? FileManager.default.removeItem(at: base) }

        let server = try await LoopbackServer.start(root: root.path)
        // A loaded CI machine can take longer than the default 10 s to connect over loopback.
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(60)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await body(LoopbackFixture(server: server, client: client))
        } catch {
            try? await client.shutdown()
            try? await server.shutdown()
            throw error
        }
        try await client.shutdown()
        try await server.shutdown()
    }

    /// Requests `path` and reads the whole body; a body that breaks off is reported as `body == nil`.
    func fetch(
        _ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], timeout: TimeAmount = .seconds(5)
    ) async throws -> Fetched {
        var request = HTTPClientRequest(url: server.url(path))
        request.method = method
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        let response = try await client.execute(request, timeout: timeout)
        var body: [UInt8]?
        do {
            let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
            body = Array(buffer.readableBytesView)
        } catch {
            body = nil
        }
        return Fetched(status: response.status, headers: response.headers, body: body)
    }
}
