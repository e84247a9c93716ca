import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP/1.1 file server on 127.0.0.1 for the demo and for network-fault tests.
///
/// `GET` and `HEAD` of `/<relative path>` serve the file under the root (a folder's
/// `index.json`), with single-range `Range` support (206, 416). Prefixes in front of the real path inject faults:
///
/// - `/fail/N/<path>`: the first N requests for this exact path answer 500, later ones the file.
/// - `/busy/N/<path>`: the first N requests for this exact path answer 429 with `Retry-After: 1`.
/// - `/reset/N/<path>`: the first N requests get the headers (full Content-Length) and about half
///   the body, then the connection closes; later ones are served normally (Range honoured).
/// - `/truncate/<path>`: always the full Content-Length, half the body, then close.
/// - `/slow/MS/<path>`: the body in 64 KiB chunks with MS milliseconds between them.
/// - `/hang/<anything>`: never answered; the connection stays open until shutdown.
/// - `/redirect/<path>`: 302 with `Location: /<path>`.
/// - `/status/CODE/<anything>`: that status (200...599) with a short text body.
///
/// Every response carries `Connection: close`. The server owns a one-thread event loop group and a
/// small thread pool for file reads; ``shutdown()`` releases both.
public final class LoopbackServer: Sendable {
    /// The TCP port the server listens on.
    public let port: Int
    /// `https` when the server speaks TLS, else `http`.
    public let scheme: String

    private let group: MultiThreadedEventLoopGroup
    private let threadPool: NIOThreadPool
    private let serverChannel: any Channel
    private let state: LoopbackServerState

    private init(
        port: Int, scheme: String, group: MultiThreadedEventLoopGroup, threadPool: NIOThreadPool, serverChannel: any Channel,
        state: LoopbackServerState
    ) {
        self.port = port
        self.scheme = scheme
        self.group = group
        self.threadPool = threadPool
        self.serverChannel = serverChannel
        self.state = state
    }

    /// Serves the files under `root` on 127.0.0.1 at an ephemeral port (or the given one).
    ///
    /// - Parameters:
    ///   - root: The directory whose files are served; relative paths are taken from the working directory.
    ///   - port: The port to bind, or 0 for one the system picks.
    ///   - tls: Speak HTTPS with the certificate (a PEM chain) and key (PEM) of these files.
    /// - Throws: ``LoopbackServerError`` when `root` is not a directory, or NIO's error when binding fails.
    public static func start(root: String, port: Int = 0, tls: (certificate: String, key: String)? = nil) async throws -> LoopbackServer {
        var isDirectory: ObjCBool = false
        let rootPath = URL(fileURLWithPath: root).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: rootPath, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LoopbackServerError("the root \(root) is not a directory")
        }
        guard (0...65535).contains(port) else {
            throw LoopbackServerError("the port \(port) is outside 0...65535")
        }

        let context = try tls.map { files in
            try NIOSSLContext(
                configuration: TLSConfiguration.makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificate).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem))))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let state = LoopbackServerState()
        let files = LoopbackFileStore(root: rootPath.hasSuffix("/") ? String(rootPath.dropLast()) : rootPath, threadPool: threadPool)

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard state.register(channel) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(LoopbackRequestHandler(files: files, state: state))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
            guard let boundPort = channel.localAddress?.port else {
                try? await channel.close()
                throw LoopbackServerError("the server socket has no local port")
            }
            return LoopbackServer(
                port: boundPort, scheme: tls == nil ? "http" : "https", group: group, threadPool: threadPool, serverChannel: channel, state: state)
        } catch {
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// The URL of `path` on this server: `http://127.0.0.1:PORT/` (`https://localhost:PORT/`
    /// with TLS, the name its certificate is for) followed by `path` (a leading `/` is dropped).
    public func url(_ path: String) -> String {
        (scheme == "https" ? "https://localhost:\(port)/" : "http://127.0.0.1:\(port)/") + path.drop(while: { $0 == "/" })
    }

    /// The number of requests seen so far for `path`, as requested (fault prefix included, query excluded).
    ///
    /// `path` may be given with or without its leading `/`, or as a full URL from ``url(_:)``.
    public func requestCount(_ path: String) -> Int {
        var path = Substring(path)
        if let prefix = ["http://", "https://"].first(where: { path.hasPrefix($0) }) {
            let afterScheme = path.dropFirst(prefix.count)
            path = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        path = path.prefix { $0 != "?" && $0 != "#" }
        return state.requestCount(path.hasPrefix("/") ? String(path) : "/" + path)
    }

    /// Stops listening, closes every open connection (hung ones included) and stops the server's threads.
    ///
    /// Calling it again does nothing.
    public func shutdown() async throws {
        guard let connections = state.beginShutdown() else { return }
        try? await serverChannel.close()
        for connection in connections {
            try? await connection.close()
        }
        try await threadPool.shutdownGracefully()
        try await group.shutdownGracefully()
    }
}
