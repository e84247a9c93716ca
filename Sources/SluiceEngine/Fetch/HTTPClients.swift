import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// The HTTP clients a stage or catalog uses: one per route — straight to the server, or through
/// the proxy ``ProxySettings`` names for the URL — made on first use. Every one verifies servers'
/// certificates: against the system's store, or only against the certificates of `caFile`.
final class HTTPClients: Sendable {
    /// Seconds to connect, and the longest pause between bytes read.
    let timeout: Double
    /// A PEM file of the certificate authorities to trust instead of the system's.
    let caFile: String?
    /// The environment's proxies.
    let proxies: ProxySettings
    /// The clients made so far, by proxy (nil: straight to the server).
    private let clients = Mutex<[ProxySettings.Proxy?: HTTPClient]>([:])

    init(timeout: Double, caFile: String? = nil, proxies: ProxySettings) {
        self.timeout = timeout
        self.caFile = caFile
        self.proxies = proxies
    }

    /// The client for `url`'s route.
    func client(for url: String) -> HTTPClient {
        let proxy = URL(string: url).flatMap(proxies.proxy(for:))
        return clients.withLock { clients in
            if let client = clients[proxy] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .seconds(Int64(max(1, timeout))), read: .seconds(Int64(max(1, timeout))))
            configuration.redirectConfiguration = .follow(max: 10, allowCycles: false)
            configuration.decompression = .disabled
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile { tls.trustRoots = .file(caFile) }
            configuration.tlsConfiguration = tls
            if let proxy {
                let authorization = proxy.user.map { HTTPClient.Authorization.basic(username: $0, password: proxy.password ?? "") }
                configuration.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
            }
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[proxy] = made
            return made
        }
    }

    /// Closes every client's connections.
    func shutdown() async {
        let open = clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in open { try? await client.shutdown() }
    }

    /// Whether `error` is a server's certificate the trusted authorities do not vouch for (or a
    /// TLS handshake that failed otherwise): retrying cannot help.
    static func isUntrustedCertificate(_ error: any Error) -> Bool {
        if error is NIOSSLError { return true }
        let text = String(describing: error)
        return text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("handshakeFailed")
    }
}
