/// A dataset repository on the Hugging Face Hub, `OWNER/NAME`: checked as the Hub checks names
/// (letters, digits, `-`, `_`, `.`; at most 96 characters each; no `..`, no `-` or `.` first).
public struct HubRepository: Sendable, Hashable, CustomStringConvertible {
    /// The user or organisation.
    public let owner: String
    /// The repository's name.
    public let name: String

    /// `owner/name`, as the Hub's URLs and APIs take it.
    public var id: String { owner + "/" + name }
    public var description: String { id }

    /// The repository `id` names; throws `hub.bad-repo-id` when it is not `OWNER/NAME`.
    public init(_ id: String) throws {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy(Self.isValidPart) else {
            throw HubError(
                .badRepository, "'\(id)' is not a Hub repository id: give OWNER/NAME, each of letters, digits, '-', '_' and '.' (at most 96 characters)")
        }
        owner = parts[0]
        name = parts[1]
    }

    /// The repository beside this one for one dataset: `OWNER/NAME-<dataset>`.
    public func suffixed(_ dataset: String) throws -> HubRepository {
        try HubRepository(id + "-" + dataset)
    }

    private static func isValidPart(_ part: String) -> Bool {
        guard let first = part.unicodeScalars.first, part.count <= 96, !part.contains("..") else { return false }
        let allowed = { (scalar: Unicode.Scalar) in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.".unicodeScalars.contains(scalar))
        }
        return allowed(first) && first != "-" && first != "." && part.unicodeScalars.allSatisfy(allowed)
    }
}
