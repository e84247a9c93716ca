import Foundation
import SluiceEngine
import Testing

/// Which proxy a URL goes through, as curl and Python's requests read the environment.
@Suite struct ProxySettingsTests {
    @Test func theSchemesProxyUnlessNoProxyNamesTheHost() throws {
        let settings = try ProxySettings(environment: [
            "HTTPS_PROXY": "http://alice:s%40cret@proxy.example:3128", "http_proxy": "plain.example:8080", "HTTP_PROXY": "ignored.example:1",
            "NO_PROXY": " .internal.example, 10.0.0.5, data.example:8443 ",
        ])
        func proxy(_ url: String) -> String? { settings.proxy(for: URL(string: url)!).map { "\($0.host):\($0.port)" } }
        #expect(proxy("https://api.cellxgene.cziscience.com/curation/v1/datasets") == "proxy.example:3128")
        #expect(settings.https?.user == "alice" && settings.https?.password == "s@cret")
        // The lower-case name wins, as in curl; a proxy without a scheme is http.
        #expect(proxy("http://ftp.sra.ebi.ac.uk/vol1/x.fastq.gz") == "plain.example:8080")
        #expect(proxy("https://a.internal.example/x") == nil && proxy("https://internal.example/x") == nil)
        #expect(proxy("https://notinternal.example/x") == "proxy.example:3128")
        #expect(proxy("http://10.0.0.5/x") == nil)
        #expect(proxy("https://data.example:8443/x") == nil && proxy("https://data.example/x") == "proxy.example:3128")
        #expect(proxy("file:///tmp/x") == nil)
        #expect(try ProxySettings(environment: ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"]).proxy(for: URL(string: "https://x.org")!) == nil)
        #expect(try ProxySettings(environment: [:]) == .none)
    }

    @Test func aProxySluiceCannotSpeakToIsOneSentence() {
        #expect {
            try ProxySettings(environment: ["HTTPS_PROXY": "socks5://proxy:1080"])
        } throws: { error in
            "\(error)".contains("HTTPS_PROXY='socks5://proxy:1080' is not an http:// proxy address")
        }
    }
}
