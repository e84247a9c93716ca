import Foundation

/// A certificate authority made for one test, and a server certificate it signed for
/// `localhost` and 127.0.0.1 (with the `openssl` command): PEM files in a folder.
public struct TestCertificates: Sendable {
    /// The authority's certificate: what a client given `ca_file:` trusts.
    public let authority: String
    /// The server's certificate and key.
    public let certificate: String
    public let key: String

    /// Makes them in `folder` (openssl runs off the cooperative pool).
    public static func make(in folder: String) async throws -> TestCertificates {
        try await offThePool { try makeNow(in: folder) }
    }

    private static func makeNow(in folder: String) throws -> TestCertificates {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func file(_ name: String) -> String { folder + "/" + name }
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
            .write(toFile: file("server.ext"), atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + ec + ["-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "2", "-subj", "/CN=Sluice test CA"])
        try openssl(["req"] + ec + ["-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=localhost"])
        try openssl([
            "x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial", "-out", file("server.pem"),
            "-days", "2", "-extfile", file("server.ext"),
        ])
        return TestCertificates(authority: file("ca.pem"), certificate: file("server.pem"), key: file("server.key"))
    }

    private static func openssl(_ arguments: [String]) throws {
        let status = runAndWait(["openssl"] + arguments).status
        guard status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.prefix(2).joined(separator: " ")) failed with status \(status)"])
        }
    }
}
