import HTTPTypes
import Hummingbird

/// Lets a request through only with the dashboard's token — in `Authorization: Bearer …` or,
/// for the page and its event stream (a browser's EventSource sends no headers), `?token=…` —
/// and answers 401 with one sentence otherwise. Every route, the event stream included.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: DashboardAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization].flatMap { value -> String? in
            value.hasPrefix("Bearer ") ? String(value.dropFirst("Bearer ".count)) : nil
        }
        let query = request.uri.queryParameters["token"].map(String.init)
        guard access.admits(header ?? query) else {
            return ErrorMiddleware<Context>.response(
                status: .unauthorized, code: "dashboard.unauthorized",
                message: "this dashboard needs its token: send Authorization: Bearer TOKEN, or add ?token=TOKEN to the address")
        }
        return try await next(request, context)
    }
}
