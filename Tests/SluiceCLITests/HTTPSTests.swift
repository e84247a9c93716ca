import Foundation
import SluiceLoopback
import SluiceTestSupport
import Testing

/// HTTPS for real: certificates are verified (against the system's store, or a `ca_file:`), and
/// downloads go through the proxies the environment names — HTTPS through a `CONNECT` tunnel,
/// HTTP forwarded — except for the hosts `NO_PROXY` names.
@Suite(.serialized) struct HTTPSTests {
    static func pipeline(in folder: TemporaryDirectory, fetch: String, items: [String]) throws {
        let yaml = """
            workspace: ./work
            budget: {total: 50MB}
            items:
            \(items.map { "  - " + $0 }.joined(separator: "\n"))
            stages:
              - fetch: {\(fetch)}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
    }

    static func served(_ folder: TemporaryDirectory) throws -> [String: Data] {
        try FileManager.default.createDirectory(atPath: folder.file("served"), withIntermediateDirectories: true)
        let files = ["a.bin": PipelineHarness.bytes(200_000, seed: 1), "b.bin": PipelineHarness.bytes(150_000, seed: 2), "c.bin": PipelineHarness.bytes(90_000, seed: 3)]
        for (name, data) in files { try data.write(to: URL(fileURLWithPath: folder.file("served/" + name))) }
        return files
    }

    @Test func certificatesAreVerifiedAgainstTheSystemStoreOrACAFile() async throws {
        let folder = try TemporaryDirectory("sluice-https")
        let files = try Self.served(folder)
        let certificates = try await TestCertificates.make(in: folder.file("certs"))
        let server = try await LoopbackServer.start(root: folder.file("served"), tls: (certificates.certificate, certificates.key))
        #expect(server.url("a.bin").hasPrefix("https://localhost:"))
        // The system's store does not know the test's authority: the item fails, saying so, without
        // retries (the client tries to connect until its connect timeout first).
        try Self.pipeline(in: folder, fetch: "retries: 3, timeout: 5s", items: ["{name: a, url: \"\(server.url("a.bin"))\"}"])
        let refused = try await SluiceBinary.run(["run", "p.yaml", "--json"], in: folder.path, environment: ["HTTPS_PROXY": nil, "https_proxy": nil])
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.standardOutput.contains("TLS handshake failed") && refused.standardOutput.contains("ca_file"), "\(refused)")
        #expect(server.requestCount("/a.bin") == 0)
        // With the authority as ca_file, the download is verified and whole.
        try FileManager.default.removeItem(atPath: folder.file("work"))
        try Self.pipeline(in: folder, fetch: "ca_file: certs/ca.pem", items: ["{name: a, url: \"\(server.url("a.bin"))\"}"])
        let trusted = try await SluiceBinary.run(["run", "p.yaml", "--quiet"], in: folder.path, environment: ["HTTPS_PROXY": nil, "https_proxy": nil])
        #expect(trusted.status == 0, "\(trusted)")
        #expect(FileManager.default.contents(atPath: folder.file("work/raw/a/a.bin")) == files["a.bin"])
        try await server.shutdown()
    }

    @Test func downloadsGoThroughTheEnvironmentsProxiesExceptNoProxyHosts() async throws {
        let folder = try TemporaryDirectory("sluice-proxy")
        let files = try Self.served(folder)
        let certificates = try await TestCertificates.make(in: folder.file("certs"))
        let secure = try await LoopbackServer.start(root: folder.file("served"), tls: (certificates.certificate, certificates.key))
        let plain = try await LoopbackServer.start(root: folder.file("served"))
        let direct = try await LoopbackServer.start(root: folder.file("served"))
        let proxy = try await TestProxy.start(log: folder.file("proxy.log"), user: "sluice:pass word")
        try Self.pipeline(
            in: folder, fetch: "ca_file: certs/ca.pem, timeout: 5s",
            items: [
                "{name: a, url: \"\(secure.url("a.bin"))\"}", "{name: b, url: \"\(plain.url("b.bin"))\"}",
                "{name: c, url: \"\(direct.url("c.bin"))\"}",
            ])
        let proxyURL = "http://sluice:pass%20word@127.0.0.1:\(proxy.port)"
        let outcome = try await SluiceBinary.run(
            ["run", "p.yaml", "--quiet"], in: folder.path,
            environment: ["HTTPS_PROXY": proxyURL, "http_proxy": proxyURL, "NO_PROXY": "127.0.0.1:\(direct.port)", "https_proxy": nil, "HTTP_PROXY": nil, "no_proxy": nil])
        #expect(outcome.status == 0, "\(outcome)")
        for (item, file) in [("a", "a.bin"), ("b", "b.bin"), ("c", "c.bin")] {
            #expect(FileManager.default.contents(atPath: folder.file("work/raw/\(item)/\(file)")) == files[file], "\(item)")
        }
        let requests = proxy.requests
        // Through a tunnel (the proxy sees only where to; HTTPS stays end to end), NO_PROXY direct.
        #expect(requests.contains { $0.hasPrefix("CONNECT localhost:\(secure.port) ") }, "\(requests)")
        #expect(requests.contains { $0.hasPrefix("CONNECT 127.0.0.1:\(plain.port) ") }, "\(requests)")
        #expect(!requests.contains { $0.contains(":\(direct.port)") }, "\(requests)")
        #expect(secure.requestCount("/a.bin") >= 1 && plain.requestCount("/b.bin") >= 1 && direct.requestCount("/c.bin") >= 1)

        // A proxy that refuses the credentials fails the downloads through it, not the others.
        try FileManager.default.removeItem(atPath: folder.file("work"))
        let wrong = "http://sluice:nope@127.0.0.1:\(proxy.port)"
        let refused = try await SluiceBinary.run(
            ["run", "p.yaml", "--json"], in: folder.path,
            environment: ["HTTPS_PROXY": wrong, "http_proxy": wrong, "NO_PROXY": "127.0.0.1:\(direct.port)", "https_proxy": nil, "HTTP_PROXY": nil, "no_proxy": nil])
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.standardOutput.contains("the proxy refused the credentials (HTTP 407)"), "\(refused)")
        #expect(FileManager.default.contents(atPath: folder.file("work/raw/c/c.bin")) == files["c.bin"])
        await proxy.stop()
        for server in [secure, plain, direct] { try await server.shutdown() }
    }
}
