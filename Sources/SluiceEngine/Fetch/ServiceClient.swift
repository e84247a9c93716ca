import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to a web service (a catalog, the Hugging Face Hub) and rides out what services do under
/// load: HTTP 429 (after its `Retry-After`), 5xx, failed connections and bodies cut short are
/// retried with a growing pause. Every other answer goes to the caller, who reads it or says
/// why it is final. TLS and proxy refusals are final at once.
struct ServiceClient: Sendable {
    /// One request: its method, absolute URL, headers and body.
    struct Request: Sendable {
        var method: HTTPMethod
        var url: String
        var headers: [(String, String)] = []
        var body: Body = .none
    }

    /// What a request sends: nothing, bytes, or a file streamed from disk.
    enum Body: Sendable {
        case none
        case bytes(ByteBuffer)
        case file(path: String, size: Int64)
    }

    /// An answer that is not retried: its status, headers and (whole) body.
    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer

        /// The body as text.
        var text: String { String(buffer: body) }
    }

    /// Why a request got no usable answer after every try, in one sentence.
    struct Failure: Error, Sendable {
        var message: String
    }

    /// The service in messages, e.g. `CELLxGENE Discover`.
    var name: String
    /// The connections: certificates verified, the environment's proxies taken.
    var clients: HTTPClients
    /// Tries per request, the first included.
    var attempts = 6
    /// The pause after the first failure, doubled after each later one.
    var firstPause = 0.5
    /// The longest pause, whatever `Retry-After` asks.
    var longestPause = 60.0
    /// Seconds a request may take.
    var timeout = 120.0
    /// The largest answer read.
    var largestBody = 1 << 30

    /// Runs `body` with a client of the service `name` — certificates checked against `caFile`
    /// (or the system's store), the environment's proxies taken — and closes its connections
    /// after, whatever `body` does. A proxy setting Sluice cannot use throws `Failure`.
    static func session<Value: Sendable>(_ name: String, caFile: String?, _ body: (ServiceClient) async throws -> Value) async throws -> Value {
        let proxies: ProxySettings
        do {
            proxies = try ProxySettings()
        } catch let error as ProxyError {
            throw Failure(message: error.message)
        }
        let clients = HTTPClients(timeout: 60, caFile: caFile, proxies: proxies)
        do {
            let value = try await body(ServiceClient(name: name, clients: clients))
            await clients.shutdown()
            return value
        } catch {
            await clients.shutdown()
            throw error
        }
    }

    /// Sends `request` until an answer other than 429 or 5xx comes, and gives it to `read`, which
    /// returns the value — or nil for an answer cut short (it is asked again), or throws when the
    /// answer is final. Throws `Failure` when every try failed.
    func exchange<Value>(_ request: Request, _ read: (Answer) throws -> Value?) async throws -> Value {
        var pause = firstPause
        var lastProblem = ""
        for attempt in 1...attempts {
            if attempt > 1 {
                try await Task.sleep(for: .seconds(pause))
                pause = min(pause * 2, longestPause)
            }
            var sent = HTTPClientRequest(url: request.url)
            sent.method = request.method
            sent.headers.add(name: "User-Agent", value: "sluice")
            for (header, value) in request.headers { sent.headers.add(name: header, value: value) }
            switch request.body {
            case .none: break
            case .bytes(let bytes): sent.body = .bytes(bytes)
            case .file(let path, let size): sent.body = .stream(FileChunks(path: path), length: .known(size))
            }
            let answer: Answer
            do {
                let response = try await clients.client(for: request.url).execute(sent, timeout: .seconds(Int64(timeout)))
                let code = Int(response.status.code)
                if code == 429 || (500...599).contains(code) {
                    lastProblem = "HTTP \(code)"
                    if let wait = response.headers.first(name: "Retry-After").flatMap(Double.init), wait >= 0 {
                        pause = min(wait, longestPause)
                    }
                    continue
                }
                answer = Answer(status: code, headers: response.headers, body: try await response.body.collect(upTo: largestBody))
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as HTTPClientError where error == .proxyAuthenticationRequired {
                throw Failure(message: "\(name) at \(request.url): the proxy refused the credentials (HTTP 407); check HTTPS_PROXY / HTTP_PROXY")
            } catch let error where HTTPClients.isUntrustedCertificate(error) {
                throw Failure(
                    message: "\(name) at \(request.url): the TLS handshake failed — its certificate is not one the trusted authorities vouch for (ca_file:) (\(error))")
            } catch {
                lastProblem = "\(error)"
                continue
            }
            if let value = try read(answer) { return value }
            lastProblem = "an answer cut short (\(answer.body.readableBytes) bytes)"
        }
        throw Failure(message: "\(name) did not answer \(request.url) after \(attempts) tries (last: \(lastProblem))")
    }
}

/// A file's bytes in 1 MiB buffers, read as a request body asks for them.
private struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        var handle: FileHandle?
        var done = false

        mutating func next() async throws -> ByteBuffer? {
            if done { return nil }
            if handle == nil {
                guard let opened = FileHandle(forReadingAtPath: path) else {
                    throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
                }
                handle = opened
            }
            guard let data = try handle?.read(upToCount: 1 << 20), !data.isEmpty else {
                try? handle?.close()
                done = true
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(path: path) }
}
