import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SluiceLoopback
import Testing

@Suite("LoopbackServer")
struct LoopbackServerTests {
    private let size = LoopbackFixture.fileSize
    private let bytes = LoopbackFixture.fileBytes

    @Test("GET serves the whole file with its headers")
    func fullGet() async throws {
        try await LoopbackFixture.with { fixture in
            let response = try await fixture.fetch("f")
            #expect(response.status == .ok)
            #expect(response.contentLength == size)
            #expect(response.headers.first(name: "accept-ranges") == "bytes")
            #expect(response.headers.first(name: "content-type") == "application/octet-stream")
            #expect(response.headers.first(name: "etag")?.hasPrefix("\"\(size)-") == true)
            #expect(response.body == bytes)
            #expect(fixture.server.requestCount("/f") == 1)
        }
    }

    @Test("HEAD gives the length and no body")
    func head() async throws {
        try await LoopbackFixture.with { fixture in
            let response = try await fixture.fetch("f", method: .HEAD)
            #expect(response.status == .ok)
            #expect(response.contentLength == size)
            #expect(response.body == [])
        }
    }

    @Test("url and port")
    func urlAndPort() async throws {
        try await LoopbackFixture.with { fixture in
            let port = fixture.server.port
            #expect(port > 0)
            #expect(fixture.server.url("a/b") == "http://127.0.0.1:\(port)/a/b")
            #expect(fixture.server.url("/a") == "http://127.0.0.1:\(port)/a")
        }
    }

    @Test("Range bytes=START- gives 206 and the tail")
    func openEndedRange() async throws {
        try await LoopbackFixture.with { fixture in
            let response = try await fixture.fetch("f", headers: [("Range", "bytes=1000-")])
            #expect(response.status == .partialContent)
            #expect(response.headers.first(name: "content-range") == "bytes 1000-\(size - 1)/\(size)")
            #expect(response.contentLength == size - 1000)
            #expect(response.body == Array(bytes[1000...]))
        }
    }

    @Test("Range bytes=START-END and bytes=-SUFFIX")
    func closedAndSuffixRanges() async throws {
        try await LoopbackFixture.with { fixture in
            let closed = try await fixture.fetch("f", headers: [("Range", "bytes=70000-70009")])
            #expect(closed.status == .partialContent)
            #expect(closed.headers.first(name: "content-range") == "bytes 70000-70009/\(size)")
            #expect(closed.body == Array(bytes[70000...70009]))

            let clamped = try await fixture.fetch("f", headers: [("Range", "bytes=\(size - 5)-\(size + 100)")])
            #expect(clamped.status == .partialContent)
            #expect(clamped.body == Array(bytes[(size - 5)...]))

            let suffix = try await fixture.fetch("f", headers: [("Range", "bytes=-100")])
            #expect(suffix.status == .partialContent)
            #expect(suffix.headers.first(name: "content-range") == "bytes \(size - 100)-\(size - 1)/\(size)")
            #expect(suffix.body == Array(bytes[(size - 100)...]))
        }
    }

    @Test("a range past the end gives 416 with bytes */TOTAL")
    func unsatisfiableRange() async throws {
        try await LoopbackFixture.with { fixture in
            let response = try await fixture.fetch("f", headers: [("Range", "bytes=\(size)-")])
            #expect(response.status == .rangeNotSatisfiable)
            #expect(response.headers.first(name: "content-range") == "bytes */\(size)")
        }
    }

    @Test("a missing file or a directory gives 404")
    func missing() async throws {
        try await LoopbackFixture.with { fixture in
            let missing = try await fixture.fetch("nope.bin")
            #expect(missing.status == .notFound)
            #expect(missing.text.contains("not found"))
            let directory = try await fixture.fetch("dir")
            #expect(directory.status == .notFound)
        }
    }

    @Test("paths escaping the root are refused with 403")
    func dotDotRejected() async throws {
        try await LoopbackFixture.with { fixture in
            let encoded = try await fixture.fetch("%2E%2E/outside.bin")
            #expect(encoded.status == .forbidden)
            #expect(encoded.text.contains("secret") == false)
            let nested = try await fixture.fetch("dir/%2e%2e/%2e%2e/outside.bin")
            #expect(nested.status == .forbidden)
            let slash = try await fixture.fetch("..%2Foutside.bin")
            #expect(slash.status == .forbidden)
        }
    }

    @Test("methods other than GET and HEAD give 405")
    func otherMethods() async throws {
        try await LoopbackFixture.with { fixture in
            let response = try await fixture.fetch("f", method: .DELETE)
            #expect(response.status == .methodNotAllowed)
        }
    }

    @Test("/fail/2/ answers 500 twice, then the file")
    func failTwice() async throws {
        try await LoopbackFixture.with { fixture in
            let first = try await fixture.fetch("fail/2/f")
            let second = try await fixture.fetch("fail/2/f")
            let third = try await fixture.fetch("fail/2/f")
            #expect(first.status == .internalServerError)
            #expect(second.status == .internalServerError)
            #expect(third.status == .ok)
            #expect(third.body == bytes)
            #expect(fixture.server.requestCount("/fail/2/f") == 3)
            #expect(fixture.server.requestCount("fail/2/f") == 3)
            #expect(fixture.server.requestCount(fixture.server.url("fail/2/f")) == 3)
            #expect(fixture.server.requestCount("/f") == 0)
        }
    }

    @Test("/reset/1/ breaks the first body off, then serves it whole")
    func resetOnce() async throws {
        try await LoopbackFixture.with { fixture in
            let first = try await fixture.fetch("reset/1/f")
            #expect(first.status == .ok)
            #expect(first.contentLength == size)
            #expect((first.body?.count ?? 0) < size)

            let second = try await fixture.fetch("reset/1/f")
            #expect(second.status == .ok)
            #expect(second.body == bytes)
            #expect(fixture.server.requestCount("/reset/1/f") == 2)
        }
    }

    @Test("/reset/ honours Range, on the broken request and on the resume")
    func resetThenResume() async throws {
        try await LoopbackFixture.with { fixture in
            let broken = try await fixture.fetch("reset/1/f", headers: [("Range", "bytes=5000-")])
            #expect(broken.status == .partialContent)
            #expect(broken.contentLength == size - 5000)
            #expect((broken.body?.count ?? 0) < size - 5000)

            let resumed = try await fixture.fetch("reset/1/f", headers: [("Range", "bytes=150000-")])
            #expect(resumed.status == .partialContent)
            #expect(resumed.headers.first(name: "content-range") == "bytes 150000-\(size - 1)/\(size)")
            #expect(resumed.body == Array(bytes[150000...]))
        }
    }

    @Test("/truncate/ always sends a short body")
    func truncateAlways() async throws {
        try await LoopbackFixture.with { fixture in
            for _ in 0..<2 {
                let response = try await fixture.fetch("truncate/f")
                #expect(response.status == .ok)
                #expect(response.contentLength == size)
                #expect((response.body?.count ?? 0) < size)
            }
            #expect(fixture.server.requestCount("/truncate/f") == 2)
        }
    }

    @Test("/redirect/ is followed to the file")
    func redirect() async throws {
        try await LoopbackFixture.with { fixture in
            let response = try await fixture.fetch("redirect/f")
            #expect(response.status == .ok)
            #expect(response.body == bytes)
            #expect(fixture.server.requestCount("/redirect/f") == 1)
            #expect(fixture.server.requestCount("/f") == 1)
        }
    }

    @Test("/status/CODE/ answers that code")
    func statusCodes() async throws {
        try await LoopbackFixture.with { fixture in
            let notFound = try await fixture.fetch("status/404/x")
            #expect(notFound.status == .notFound)
            let unavailable = try await fixture.fetch("status/503/anything/at/all")
            #expect(unavailable.status == .serviceUnavailable)
            #expect(unavailable.text.contains("503"))
            let malformed = try await fixture.fetch("status/abc/x")
            #expect(malformed.status == .badRequest)
            let badCount = try await fixture.fetch("fail/x/f")
            #expect(badCount.status == .badRequest)
        }
    }

    @Test("/hang/ makes a client with a 1 s timeout give up")
    func hangTimesOut() async throws {
        try await LoopbackFixture.with { fixture in
            // The client gives up (no wall-clock bound is asserted: CI machines may be loaded).
            await #expect(throws: (any Error).self) {
                _ = try await fixture.fetch("hang/f", timeout: .seconds(1))
            }
            #expect(fixture.server.requestCount("/hang/f") == 1)
        }
    }

    @Test("shutdown closes a hung connection promptly")
    func shutdownClosesHungConnection() async throws {
        try await LoopbackFixture.with { fixture in
            let pending = Task { try await fixture.fetch("hang/f", timeout: .seconds(30)) }
            let waitStart = ContinuousClock.now
            while fixture.server.requestCount("/hang/f") == 0, ContinuousClock.now - waitStart < .seconds(120) {
                try await Task.sleep(for: .milliseconds(5))
            }
            guard fixture.server.requestCount("/hang/f") == 1 else {
                // Say why the request never arrived (the client's error), then stop.
                let outcome = await pending.result
                Issue.record("the hung request never reached the server: \(outcome)")
                return
            }

            // Shutdown ends the hung exchange (the client's own timeout is 30 s, so an error
            // before that comes from the closed connection).
            let started = ContinuousClock.now
            try await fixture.server.shutdown()
            await #expect(throws: (any Error).self) {
                _ = try await pending.value
            }
            #expect(ContinuousClock.now - started < .seconds(25))
            try await fixture.server.shutdown()  // A second shutdown does nothing.
        }
    }

    @Test("/slow/20/ paces the body and still delivers it whole")
    func slow() async throws {
        try await LoopbackFixture.with { fixture in
            let started = ContinuousClock.now
            let response = try await fixture.fetch("slow/20/f")
            let elapsed = ContinuousClock.now - started
            #expect(response.status == .ok)
            #expect(response.body == bytes)
            // 300 KiB is five 64 KiB chunks, so four pauses of 20 ms.
            #expect(elapsed >= .milliseconds(75))
        }
    }

    @Test("start refuses a root that is not a directory")
    func badRoot() async throws {
        await #expect(throws: LoopbackServerError.self) {
            _ = try await LoopbackServer.start(root: "/nonexistent/sluice-loopback-root")
        }
    }
}
