import Crypto
package import Foundation

/// The one place Sluice computes digests: SHA-256 (and MD5, which some manifests give) through
/// swift-crypto, as lower-case hex (and Git's blob ids, for the Hugging Face Hub).
package enum Checksum {
    /// SHA-256 of `bytes`.
    package static func sha256(_ bytes: some DataProtocol) -> String {
        hex(Crypto.SHA256.hash(data: bytes))
    }

    /// The id Git gives `bytes` stored as a blob: SHA-1 of `blob <size>\0` and the bytes (the
    /// Hugging Face Hub names files kept in Git, not LFS, by it).
    package static func gitBlobSHA1(_ bytes: some DataProtocol) -> String {
        var sha = Insecure.SHA1()
        sha.update(data: Array("blob \(bytes.count)\u{0}".utf8))
        sha.update(data: bytes)
        return hex(sha.finalize())
    }

    /// The digest of a file's content in `algorithm`, read in 1 MiB blocks; nil when unreadable.
    package static func of(file path: String, _ algorithm: ExpectedChecksum.Algorithm = .sha256) throws -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var sha = Crypto.SHA256()
        var md5 = Insecure.MD5()
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            switch algorithm {
            case .sha256: sha.update(data: block)
            case .md5: md5.update(data: block)
            }
        }
        switch algorithm {
        case .sha256: return hex(sha.finalize())
        case .md5: return hex(md5.finalize())
        }
    }

    private static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
