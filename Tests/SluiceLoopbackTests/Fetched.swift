import NIOHTTP1

/// One response as a test sees it.
struct Fetched {
    let status: HTTPResponseStatus
    let headers: HTTPHeaders
    /// The complete body, or nil when reading it failed (the connection broke off).
    let body: [UInt8]?

    /// The `Content-Length` header as a number.
    var contentLength: Int? { headers.first(name: "content-length").flatMap { Int($0) } }

    /// The body as text (empty when it broke off).
    var text: String { String(decoding: body ?? [], as: UTF8.self) }
}
