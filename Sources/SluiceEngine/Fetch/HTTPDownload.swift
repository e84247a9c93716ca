import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One HTTP(S) download into a file: resumes a partial file with a Range request, reserves the
/// Content-Length before the first byte, and turns every failure into a `StageError` that says
/// whether a retry may help (connection faults, timeouts, 5xx) or not (404, 403, …).
struct HTTPDownload {
    let client: HTTPClient
    let url: String
    let target: String
    let timeout: Double

    /// Step by which the reservation grows when the server sends no Content-Length.
    private static let unknownLengthStep: Int64 = 64 << 20

    /// Downloads; `before` is what the item's earlier sources already hold. Returns the file's size.
    func run(context: StageContext, before: Int64, log: DatasetLog) async throws -> Int64 {
        let existing = DiskUsage.contentBytes(at: target)
        var request = HTTPClientRequest(url: url)
        if existing > 0 { request.headers.add(name: "Range", value: "bytes=\(existing)-") }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .hours(48))
        } catch {
            throw Self.transportError(error, url: url)
        }
        let status = Int(response.status.code)
        var offset: Int64 = 0
        switch status {
        case 200:
            offset = 0
        case 206:
            guard let range = response.headers.first(name: "Content-Range"), Self.rangeStart(range) == existing else {
                throw StageError(code: "fetch.bad-range", "\(url): the server answered a resume with an unexpected range", transient: true)
            }
            offset = existing
            log.log(step: "fetch", "resuming \(url) at byte \(existing)")
        case 416 where existing > 0:
            // The partial file is already whole (or bigger than the file now): start again.
            try? FileManager.default.removeItem(atPath: target)
            throw StageError(code: "fetch.bad-range", "\(url): the partial download did not match the file; starting over", transient: true)
        case 408, 425, 429, 500...599:
            throw StageError(code: "fetch.http-\(status)", "\(url) answered HTTP \(status) \(response.status.reasonPhrase)", transient: true)
        default:
            throw StageError(code: "fetch.http-\(status)", "\(url) answered HTTP \(status) \(response.status.reasonPhrase)")
        }
        let length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        let expected = length.map { $0 + offset }
        var reserved = before + (expected ?? offset + Self.unknownLengthStep)
        try await context.ensureReserved(reserved)

        let fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | (offset == 0 ? O_TRUNC : O_APPEND), 0o644)
        guard fd >= 0 else { throw StageError(code: "fetch.write", "cannot write \(target): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = offset
        do {
            for try await buffer in response.body {
                if expected == nil, before + written + Int64(buffer.readableBytes) > reserved {
                    reserved += Self.unknownLengthStep
                    try await context.ensureReserved(reserved)
                }
                try buffer.withUnsafeReadableBytes { bytes in
                    var done = 0
                    while done < bytes.count {
                        let result = write(fd, bytes.baseAddress! + done, bytes.count - done)
                        guard result > 0 else {
                            throw StageError(code: "fetch.write", "cannot write \(target): \(String(cString: strerror(errno)))")
                        }
                        done += result
                    }
                }
                written += Int64(buffer.readableBytes)
                if let expected, written > expected {
                    throw StageError(code: "fetch.too-long", "\(url) sent more bytes than its Content-Length (\(expected))")
                }
                context.progress(before + written, expected.map { before + $0 })
            }
        } catch let error as StageError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Self.transportError(error, url: url, received: written, expected: expected)
        }
        if let expected, written < expected {
            throw StageError(code: "fetch.truncated", "\(url): the connection ended after \(written) of \(expected) bytes", transient: true)
        }
        return written
    }

    /// The first byte of a `Content-Range: bytes START-END/TOTAL` header.
    static func rangeStart(_ header: String) -> Int64? {
        guard let range = header.split(separator: " ").last, let start = range.split(separator: "-").first else { return nil }
        return Int64(start)
    }

    /// Network-level failures (resets, timeouts, refused connections) are worth retrying.
    static func transportError(_ error: any Error, url: String, received: Int64? = nil, expected: Int64? = nil) -> StageError {
        let progress = received.map { " after \($0)\(expected.map { " of \($0)" } ?? "") bytes" } ?? ""
        if HTTPClients.isUntrustedCertificate(error) {
            return StageError(
                code: "fetch.tls",
                "\(url): the TLS handshake failed — the server's certificate is not one the trusted authorities vouch for (give its CA with the fetch stage's ca_file:) (\(error))")
        }
        if let error = error as? HTTPClientError {
            if [.invalidURL, .emptyHost, .emptyScheme].contains(error) {
                return StageError(code: "fetch.bad-url", "\(url) is not a URL Sluice can fetch (\(error))")
            }
            if error == .proxyAuthenticationRequired {
                return StageError(code: "fetch.proxy", "\(url): the proxy refused the credentials (HTTP 407); check the user and password in HTTPS_PROXY / HTTP_PROXY")
            }
            if [.readTimeout, .connectTimeout, .deadlineExceeded].contains(error) {
                return StageError(code: "fetch.timeout", "\(url): timed out\(progress)", transient: true)
            }
        }
        return StageError(code: "fetch.network", "\(url): the connection failed\(progress) (\(error))", transient: true)
    }
}
