import NIOCore
import NIOHTTP1

/// Answers the requests on one connection: files with Range support, and the injected faults of
/// ``LoopbackRoute``. Every response carries `Connection: close` and the connection is closed once
/// the response (or the deliberately broken part of it) has been written.
final class LoopbackRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Bytes read from disk and written per step; one step is in flight at a time, so memory stays bounded.
    static let chunkSize = 64 * 1024

    private let files: LoopbackFileStore
    private let state: LoopbackServerState
    private var pendingHead: HTTPRequestHead?
    private var isResponding = false

    init(files: LoopbackFileStore, state: LoopbackServerState) {
        self.files = files
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            pendingHead = head
        case .body:
            break
        case .end:
            // One response per connection: anything pipelined after the first request is ignored.
            guard let head = pendingHead, !isResponding else { return }
            pendingHead = nil
            isResponding = true
            respond(to: head, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: - Routing

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = String(head.uri.prefix { $0 != "?" && $0 != "#" })
        let query = String(head.uri.dropFirst(path.count).prefix { $0 != "#" })
        let isHead = head.method == .HEAD
        guard path.hasPrefix("/") else {
            sendText(.badRequest, "the request target must start with /", isHead: isHead, context: context)
            return
        }
        let earlierRequests = state.recordRequest(path)
        guard head.method == .GET || isHead else {
            sendText(
                .methodNotAllowed, "only GET and HEAD are served", extraHeaders: [("Allow", "GET, HEAD")],
                isHead: false, context: context)
            return
        }

        switch LoopbackRoute(path: path) {
        case .file(let file):
            serveFile(file, head: head, context: context)
        case .fail(let times, let file):
            if earlierRequests < times {
                sendText(
                    .internalServerError, "injected failure \(earlierRequests + 1) of \(times)", isHead: isHead,
                    context: context)
            } else {
                serveFile(file, head: head, context: context)
            }
        case .busy(let times, let file):
            if earlierRequests < times {
                sendText(
                    .tooManyRequests, "injected rate limit \(earlierRequests + 1) of \(times)", extraHeaders: [("Retry-After", "1")],
                    isHead: isHead, context: context)
            } else {
                serveFile(file, head: head, context: context)
            }
        case .reset(let times, let file):
            serveFile(file, head: head, cutShort: earlierRequests < times, context: context)
        case .truncate(let file):
            serveFile(file, head: head, cutShort: true, context: context)
        case .slow(let milliseconds, let file):
            serveFile(file, head: head, pause: .milliseconds(Int64(milliseconds)), context: context)
        case .hang:
            break  // Never answer; shutdown (or the client) closes the connection.
        case .redirect(let target):
            sendText(
                .found, "see /\(target)\(query)", extraHeaders: [("Location", "/\(target)\(query)")], isHead: isHead,
                context: context)
        case .status(let code):
            sendText(HTTPResponseStatus(statusCode: code), "status \(code)", isHead: isHead, context: context)
        case .invalid(let message):
            sendText(.badRequest, message, isHead: isHead, context: context)
        }
    }

    // MARK: - Files

    /// Serves the file at `encodedPath` (relative to the root, percent-encoded).
    ///
    /// - Parameters:
    ///   - cutShort: Advertise the full length but send only about half the body, then close.
    ///   - pause: Wait this long between body chunks.
    private func serveFile(
        _ encodedPath: String, head: HTTPRequestHead, cutShort: Bool = false, pause: TimeAmount? = nil,
        context: ChannelHandlerContext
    ) {
        let isHead = head.method == .HEAD
        guard let absolutePath = files.absolutePath(forEncoded: encodedPath) else {
            sendText(.forbidden, "forbidden: /\(encodedPath)", isHead: isHead, context: context)
            return
        }
        files.open(path: absolutePath, eventLoop: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .failure(let error):
                self.sendText(.internalServerError, "cannot open /\(encodedPath): \(error)", isHead: isHead, context: context)
            case .success(.missing):
                self.sendText(.notFound, "not found: /\(encodedPath)", isHead: isHead, context: context)
            case .success(.notRegularFile):
                self.sendText(.notFound, "not a file: /\(encodedPath)", isHead: isHead, context: context)
            case .success(.found(let file)):
                guard context.channel.isActive else {
                    self.files.close(file)
                    return
                }
                self.startFileResponse(file, head: head, cutShort: cutShort, pause: pause, context: context)
            }
        }
    }

    private func startFileResponse(
        _ file: OpenedFile, head: HTTPRequestHead, cutShort: Bool, pause: TimeAmount?, context: ChannelHandlerContext
    ) {
        let isHead = head.method == .HEAD
        var headers = HTTPHeaders([
            ("Content-Type", "application/octet-stream"),
            ("Accept-Ranges", "bytes"),
            ("ETag", file.etag),
            ("Connection", "close"),
        ])
        let status: HTTPResponseStatus
        let first: Int64
        let length: Int64
        switch ByteRangeRequest(header: head.headers.first(name: "range"), size: file.size) {
        case .whole:
            status = .ok
            first = 0
            length = file.size
        case .partial(let rangeFirst, let rangeLast):
            status = .partialContent
            first = rangeFirst
            length = rangeLast - rangeFirst + 1
            headers.add(name: "Content-Range", value: "bytes \(rangeFirst)-\(rangeLast)/\(file.size)")
        case .unsatisfiable:
            files.close(file)
            sendText(
                .rangeNotSatisfiable, "range not satisfiable", extraHeaders: [("Content-Range", "bytes */\(file.size)")],
                isHead: isHead, context: context)
            return
        }
        headers.add(name: "Content-Length", value: String(length))
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)

        if isHead {
            files.close(file)
            finishResponse(context: context)
            return
        }
        sendBody(
            file, offset: first, remaining: cutShort ? length / 2 : length, cutShort: cutShort, pause: pause,
            context: context)
    }

    /// Streams `remaining` bytes of `file` from `offset`, one chunk at a time: the next chunk is read only
    /// after the previous write has completed, which is what keeps memory bounded on slow clients.
    private func sendBody(
        _ file: OpenedFile, offset: Int64, remaining: Int64, cutShort: Bool, pause: TimeAmount?,
        context: ChannelHandlerContext
    ) {
        guard remaining > 0 else {
            files.close(file)
            if cutShort {
                // Close once everything so far (at least the head) is written: the body stays short of Content-Length.
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(channel.allocator.buffer(capacity: 0)))))
                    .whenComplete { _ in channel.close(promise: nil) }
            } else {
                finishResponse(context: context)
            }
            return
        }
        guard context.channel.isActive else {
            files.close(file)
            return
        }
        let count = Int(min(Int64(Self.chunkSize), remaining))
        files.read(file, offset: offset, count: count, allocator: context.channel.allocator, eventLoop: context.eventLoop)
            .assumeIsolated()
            .flatMap { (buffer: ByteBuffer) -> EventLoopFuture<Int> in
                let sent = buffer.readableBytes
                guard sent > 0 else {
                    return context.eventLoop.makeFailedFuture(LoopbackServerError("the file shrank while it was served"))
                }
                return context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(buffer)))).map { sent }
            }
            .whenComplete { result in
                switch result {
                case .failure:
                    self.files.close(file)
                    context.channel.close(promise: nil)
                case .success(let sent):
                    let next = {
                        self.sendBody(
                            file, offset: offset + Int64(sent), remaining: remaining - Int64(sent), cutShort: cutShort,
                            pause: pause, context: context)
                    }
                    if let pause, remaining - Int64(sent) > 0 {
                        context.eventLoop.assumeIsolated().scheduleTask(in: pause, next)
                    } else {
                        next()
                    }
                }
            }
    }

    // MARK: - Small responses

    /// Writes a complete response with a short `text/plain` body (none for HEAD), then closes.
    private func sendText(
        _ status: HTTPResponseStatus, _ text: String, extraHeaders: [(String, String)] = [], isHead: Bool,
        context: ChannelHandlerContext
    ) {
        let body = context.channel.allocator.buffer(string: text + "\n")
        var headers = HTTPHeaders([
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", String(body.readableBytes)),
            ("Connection", "close"),
        ])
        headers.add(contentsOf: extraHeaders)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if !isHead && status.mayHaveResponseBody {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        finishResponse(context: context)
    }

    /// Ends the response and closes the connection once the end has been written.
    private func finishResponse(context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
