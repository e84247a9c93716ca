public import SluiceFormats

/// A catalog (CELLxGENE Discover, …) that could not be asked, or whose answer cannot be used:
/// one sentence naming the catalog and what went wrong.
public struct CatalogError: SluiceError {
    /// The stable code (`catalog.*`) scripts can match.
    public enum Code: String, Sendable, CustomStringConvertible {
        /// The service did not answer usefully after every retry (network, 5xx, 429, cut bodies).
        case unreachable = "catalog.unreachable"
        /// The service answered with something that is not what its API documents.
        case badResponse = "catalog.bad-response"
        /// A collection or dataset the pipeline names does not exist.
        case notFound = "catalog.not-found"
        /// A dataset has no file Sluice can fetch (no H5AD asset with a URL).
        case noAsset = "catalog.no-asset"
        /// The query matches no dataset.
        case empty = "catalog.empty"

        /// The code as scripts match it, e.g. `catalog.not-found`.
        public var description: String { rawValue }
    }

    /// What is wrong, as a stable code.
    public let code: Code
    /// One sentence saying what is wrong.
    public let message: String

    /// An error with `code` and `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Only an unreachable service may answer later.
    public var isTransient: Bool { code == .unreachable }

    public var description: String { message }
}
