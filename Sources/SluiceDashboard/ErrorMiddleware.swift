import Foundation
import HTTPTypes
import Hummingbird

/// Turns what a route throws into a JSON answer `{"code": …, "message": …}` with its status:
/// a ``DashboardError``'s own, an `HTTPError`'s, and 500 for anything else (a ledger that
/// cannot be read), with the error's sentence.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as DashboardError {
            return Self.response(status: HTTPResponse.Status(code: error.status), code: error.code.rawValue, message: error.message)
        } catch let error as HTTPError {
            return Self.response(status: error.status, code: "dashboard.http", message: error.body ?? error.status.reasonPhrase)
        } catch {
            return Self.response(status: .internalServerError, code: "dashboard.failed", message: "\(error)")
        }
    }

    static func response(status: HTTPResponse.Status, code: String, message: String) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(["code": code, "message": message])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
