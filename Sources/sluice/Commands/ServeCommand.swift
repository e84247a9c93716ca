import ArgumentParser
import Foundation
import SluiceLoopback
import UnixSignals

/// `sluice serve DIR`: the loopback file server the demo and tests use, for trying pipelines by hand.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a folder over HTTP on 127.0.0.1 (Range requests, plus fault routes for testing).",
        discussion: """
            Fault routes put a prefix before a file's path: /fail/N/ (N× HTTP 500, then the file), \
            /reset/N/ (N× half a body, then the file), /truncate/, /slow/MS/ (MS ms between 64 KiB \
            chunks), /hang/, /redirect/, /status/CODE/. Stops on Ctrl-C.
            """)

    @Argument(help: "The folder to serve.") var folder: String
    @Option(parsing: .unconditional, help: "Port (0 picks a free one).") var port = 0

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
    }

    func run() async throws {
        let server = try await LoopbackServer.start(root: folder, port: port)
        FileHandle.standardOutput.write(Data((server.url("") + "\n").utf8))
        // Serves until SIGINT or SIGTERM.
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
        try await server.shutdown()
    }
}
