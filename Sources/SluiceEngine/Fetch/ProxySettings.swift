public import Foundation

/// The HTTP proxies the environment names, as curl and Python's requests read them:
/// `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http URLs (lower-case names too, which win),
/// and `NO_PROXY`, a comma-separated list of hosts reached directly — a name matches itself and
/// its subdomains (a leading `.` is allowed), an address itself, `*` every host.
public struct ProxySettings: Sendable, Equatable {
    /// A proxy: where it is, and the credentials its URL carried.
    public struct Proxy: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var user: String?
        public var password: String?
    }

    /// The proxy for http URLs.
    public var http: Proxy?
    /// The proxy for https URLs (reached with `CONNECT`; the TLS session stays end to end).
    public var https: Proxy?
    /// `NO_PROXY`'s entries, lower-cased, without leading dots.
    public var bypass: [String]

    /// No proxy.
    public static let none = ProxySettings(http: nil, https: nil, bypass: [])

    public init(http: Proxy?, https: Proxy?, bypass: [String]) {
        self.http = http
        self.https = https
        self.bypass = bypass
    }

    /// The settings of `environment` (the process's by default); throws a one-sentence message
    /// naming the variable when a proxy is not an `http://` address.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ name: String) -> String? {
            (environment[name.lowercased()] ?? environment[name]).flatMap { $0.isEmpty ? nil : $0 }
        }
        http = try value("HTTP_PROXY").map { try Self.parse($0, variable: "HTTP_PROXY") }
        https = try value("HTTPS_PROXY").map { try Self.parse($0, variable: "HTTPS_PROXY") }
        bypass = (value("NO_PROXY") ?? "").split(separator: ",").map {
            var entry = $0.trimmingCharacters(in: .whitespaces).lowercased()
            while entry.hasPrefix(".") { entry.removeFirst() }
            return entry
        }.filter { !$0.isEmpty }
    }

    /// The proxy `url` goes through; nil: straight to its host.
    public func proxy(for url: URL) -> Proxy? {
        guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else { return nil }
        let proxy = scheme == "https" ? https : (scheme == "http" ? http : nil)
        guard let proxy else { return nil }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        for entry in bypass {
            if entry == "*" { return nil }
            // `host:port` entries bypass only that port.
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2, Int(parts[1]) != port { continue }
            let name = parts[0]
            if host == name || host.hasSuffix("." + name) { return nil }
        }
        return proxy
    }

    /// `http://[user:password@]host[:port]` (the scheme may be left out).
    private static func parse(_ text: String, variable: String) throws -> Proxy {
        let full = text.contains("://") ? text : "http://" + text
        guard let url = URLComponents(string: full), url.scheme?.lowercased() == "http", let host = url.host, !host.isEmpty else {
            throw ProxyError("\(variable)='\(text)' is not an http:// proxy address (Sluice speaks to proxies over plain HTTP, as most clusters' are)")
        }
        return Proxy(host: host, port: url.port ?? 80, user: url.user?.removingPercentEncoding, password: url.password?.removingPercentEncoding)
    }
}
