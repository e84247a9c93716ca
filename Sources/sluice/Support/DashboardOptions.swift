import ArgumentParser
import Foundation
import SluiceDashboard

/// `--address`, `--port`, `--token-file` and `--allow-control`: where a dashboard listens and
/// what it lets its callers do (`sluice dashboard`, `sluice run --serve`).
struct DashboardOptions: ParsableArguments {
    @Option(help: "The address the dashboard listens on; any other than loopback needs --token-file.")
    var address = "127.0.0.1"
    @Option(help: "The dashboard's port (0: any free one; the address is printed).")
    var port = 8686
    @Option(
        help: """
            A file holding the secret (one word, at least 16 characters, e.g. from `openssl rand -hex 24`) that every \
            request must carry: Authorization: Bearer TOKEN, or ?token=TOKEN in the address.
            """)
    var tokenFile: String?
    @Flag(help: "Let callers stop the run, retry failed items and submit new items (POST /api/stop, /api/items/ITEM/retry, /api/items).")
    var allowControl = false

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    /// The checked access (a non-loopback address without a token is refused here).
    func access() throws -> DashboardAccess {
        try DashboardAccess(address: address, port: port, tokenFile: tokenFile, allowsControl: allowControl)
    }

    /// Prints where the dashboard listens, on standard error (the run's own output stays clean).
    static func announce(_ url: String, access: DashboardAccess) {
        let hint = access.token == nil ? "" : " (add ?token=TOKEN, the token in your --token-file)"
        FileHandle.standardError.write(Data("dashboard: \(url)\(hint)\n".utf8))
    }
}
