import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// GETs JSON from a catalog service through a ``ServiceClient`` (which retries 429, 5xx, failed
/// connections and bodies cut short); 404 and an answer of the wrong shape are final. JSON keys
/// are decoded from snake case.
struct CatalogClient: Sendable {
    /// The service's address, without a trailing slash (e.g. `https://api.cellxgene.cziscience.com`).
    var base: String
    /// The connection to the service.
    var service: ServiceClient

    /// The service in messages, e.g. `CELLxGENE Discover`.
    var name: String { service.name }

    /// Runs `body` with a client of the service `name` at `base` — certificates checked against
    /// `caFile` (or the system's store), the environment's proxies taken — and closes its
    /// connections after, whatever `body` does. `label` names the catalog in errors.
    static func session<Value: Sendable>(
        _ name: String, base: String, caFile: String?, label: String, _ body: (CatalogClient) async throws -> Value
    ) async throws -> Value {
        do {
            return try await ServiceClient.session(name, caFile: caFile) { service in
                try await body(CatalogClient(base: base, service: service))
            }
        } catch let failure as ServiceClient.Failure {
            throw CatalogError(.unreachable, "\(label): \(failure.message)")
        }
    }

    /// The JSON at `path` (from `/`), decoded as `type`; `emptyAs` is read instead of an answer
    /// with no content (HTTP 204, or an empty body: the ENA Portal API's answer for nothing).
    func get<Value: Decodable>(_ path: String, as type: Value.Type, emptyAs: String? = nil) async throws -> Value {
        let url = base + path
        let request = ServiceClient.Request(method: .GET, url: url, headers: [("Accept", "application/json")])
        do {
            return try await read(request, emptyAs: emptyAs)
        } catch let failure as ServiceClient.Failure {
            throw CatalogError(.unreachable, failure.message)
        }
    }

    private func read<Value: Decodable>(_ request: ServiceClient.Request, emptyAs: String?) async throws -> Value {
        let url = request.url
        return try await service.exchange(request) { answer -> Value? in
            var body = answer.body
            switch answer.status {
            case 200:
                if body.readableBytes == 0, let emptyAs { body = ByteBuffer(string: emptyAs) }
            case 204 where emptyAs != nil:
                body = ByteBuffer(string: emptyAs!)
            case 404:
                throw CatalogError(.notFound, "\(name) has nothing at \(url) (HTTP 404)")
            default:
                throw CatalogError(.badResponse, "\(name) answered HTTP \(answer.status) to \(url)")
            }
            do {
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                return try decoder.decode(Value.self, from: Data(body.readableBytesView))
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                // Not JSON at all: most often a body cut short.
                return nil
            } catch {
                throw CatalogError(.badResponse, "\(name)'s answer to \(url) is not what its API documents: \(Self.describe(error))")
            }
        }
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
