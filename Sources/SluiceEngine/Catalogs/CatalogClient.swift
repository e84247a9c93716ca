import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// GETs JSON from a catalog service and rides out what services do under load: HTTP 429 (after
/// its `Retry-After`), 5xx, failed connections and bodies cut short are retried with a growing
/// pause; 404 and an answer of the wrong shape are final. JSON keys are decoded from snake case.
struct CatalogClient: Sendable {
    /// The service's address, without a trailing slash (e.g. `https://api.cellxgene.cziscience.com`).
    var base: String
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
    /// The largest answer read (the full Discover dataset list is tens of megabytes).
    var largestBody = 1 << 30

    /// Runs `body` with a client of the service `name` at `base` — certificates checked against
    /// `caFile` (or the system's store), the environment's proxies taken — and closes its
    /// connections after, whatever `body` does. `label` names the catalog in errors.
    static func session<Value: Sendable>(
        _ name: String, base: String, caFile: String?, label: String, _ body: (CatalogClient) async throws -> Value
    ) async throws -> Value {
        let proxies: ProxySettings
        do {
            proxies = try ProxySettings()
        } catch let error as ProxyError {
            throw CatalogError(.unreachable, "\(label): \(error.message)")
        }
        let clients = HTTPClients(timeout: 60, caFile: caFile, proxies: proxies)
        do {
            let value = try await body(CatalogClient(base: base, name: name, clients: clients))
            await clients.shutdown()
            return value
        } catch {
            await clients.shutdown()
            throw error
        }
    }

    /// The JSON at `path` (from `/`), decoded as `type`; `emptyAs` is read instead of an answer
    /// with no content (HTTP 204, or an empty body: the ENA Portal API's answer for nothing).
    func get<Value: Decodable>(_ path: String, as type: Value.Type, emptyAs: String? = nil) async throws -> Value {
        let url = base + path
        var pause = firstPause
        var lastProblem = ""
        for attempt in 1...attempts {
            if attempt > 1 {
                try await Task.sleep(for: .seconds(pause))
                pause = min(pause * 2, longestPause)
            }
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "application/json")
            request.headers.add(name: "User-Agent", value: "sluice")
            var body: ByteBuffer
            do {
                let response = try await clients.client(for: url).execute(request, timeout: .seconds(Int64(timeout)))
                switch response.status.code {
                case 200:
                    body = try await response.body.collect(upTo: largestBody)
                    if body.readableBytes == 0, let emptyAs { body = ByteBuffer(string: emptyAs) }
                case 204 where emptyAs != nil:
                    body = ByteBuffer(string: emptyAs!)
                case 404:
                    throw CatalogError(.notFound, "\(name) has nothing at \(url) (HTTP 404)")
                case 429, 500...599:
                    lastProblem = "HTTP \(response.status.code)"
                    if let wait = response.headers.first(name: "Retry-After").flatMap(Double.init), wait >= 0 {
                        pause = min(wait, longestPause)
                    }
                    continue
                default:
                    throw CatalogError(.badResponse, "\(name) answered HTTP \(response.status.code) to \(url)")
                }
            } catch let error as CatalogError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as HTTPClientError where error == .proxyAuthenticationRequired {
                throw CatalogError(.unreachable, "\(name) at \(url): the proxy refused the credentials (HTTP 407); check HTTPS_PROXY / HTTP_PROXY")
            } catch let error where HTTPClients.isUntrustedCertificate(error) {
                throw CatalogError(.unreachable, "\(name) at \(url): the TLS handshake failed — its certificate is not one the trusted authorities vouch for (ca_file:) (\(error))")
            } catch {
                lastProblem = "\(error)"
                continue
            }
            do {
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                return try decoder.decode(Value.self, from: Data(body.readableBytesView))
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                // Not JSON at all: most often a body cut short.
                lastProblem = "an answer that is not JSON (\(body.readableBytes) bytes)"
                continue
            } catch {
                throw CatalogError(.badResponse, "\(name)'s answer to \(url) is not what its API documents: \(Self.describe(error))")
            }
        }
        throw CatalogError(.unreachable, "\(name) did not answer \(url) after \(attempts) tries (last: \(lastProblem))")
    }

    /// A decoding error in a few words: the field at fault and what was wrong with it.
    private static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case DecodingError.typeMismatch(_, let context): return "\(path(context.codingPath)) has the wrong type"
        case DecodingError.valueNotFound(_, let context): return "\(path(context.codingPath)) is null"
        case DecodingError.dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}
