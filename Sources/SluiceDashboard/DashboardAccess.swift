import Foundation

/// Who may reach a dashboard and what they may do: the address it listens on, the token every
/// request must carry (required off loopback), and whether stop, retry and submissions are on.
public struct DashboardAccess: Sendable {
    /// The address to listen on (`127.0.0.1` by default).
    public var address: String
    /// The port; 0 lets the system pick one (the dashboard prints where it listens).
    public var port: Int
    /// The secret every request must carry (`Authorization: Bearer …` or `?token=…`); nil on
    /// loopback without `--token-file`.
    public var token: String?
    /// Whether stop, retry and submissions are allowed (`--allow-control`).
    public var allowsControl: Bool

    /// Characters a token has at least: shorter ones are guessed.
    public static let minimumTokenLength = 16

    /// Checked access: an address other than loopback needs a token, so that a dashboard never
    /// opens a run to the network by mistake. `tokenFile` holds the token (surrounding
    /// whitespace is ignored).
    public init(address: String, port: Int, tokenFile: String?, allowsControl: Bool) throws {
        self.address = address
        self.port = port
        self.allowsControl = allowsControl
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw DashboardError(.badToken, "cannot read the token file \(tokenFile)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= Self.minimumTokenLength, !token.contains(where: \.isWhitespace) else {
                throw DashboardError(
                    .badToken,
                    "the token in \(tokenFile) must be one word of at least \(Self.minimumTokenLength) characters, e.g. made by: openssl rand -hex 24 > \(tokenFile)")
            }
            self.token = token
        } else {
            guard Self.isLoopback(address) else {
                throw DashboardError(
                    .needsToken,
                    "the dashboard would listen on \(address), which other machines may reach: give --token-file FILE (a secret every request must carry), or listen on 127.0.0.1")
            }
            self.token = nil
        }
    }

    /// Whether `address` is reachable from this machine only (`127.0.0.0/8`, `::1`, `localhost`).
    public static func isLoopback(_ address: String) -> Bool {
        address == "localhost" || address == "::1" || address.hasPrefix("127.")
    }

    /// Whether a request that carried `presented` (from its header or its query) may pass.
    /// Compared in time that does not depend on where the strings differ.
    func admits(_ presented: String?) -> Bool {
        guard let token else { return true }
        guard let presented else { return false }
        let (a, b) = (Array(token.utf8), Array(presented.utf8))
        var difference = a.count ^ b.count
        for index in a.indices { difference |= Int(a[index] ^ (index < b.count ? b[index] : 0)) }
        return difference == 0
    }
}
