/// The checksum a fetched file must have before the item moves on.
public struct ExpectedChecksum: Sendable, Hashable, Codable {
    /// The digest a manifest gives.
    public enum Algorithm: String, Sendable, Codable { case sha256, md5 }

    /// The algorithm of the digest.
    public var algorithm: Algorithm
    /// Lower-case hexadecimal digest.
    public var hex: String

    /// A checksum of `algorithm`; `hex` is lower-cased.
    public init(_ algorithm: Algorithm, _ hex: String) {
        self.algorithm = algorithm
        self.hex = hex.lowercased()
    }

    /// True when `hex` has the length and digits of the algorithm's digest.
    public var isWellFormed: Bool {
        hex.count == (algorithm == .sha256 ? 64 : 32) && hex.allSatisfy(\.isHexDigit)
    }
}
