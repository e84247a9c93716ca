#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A shell-style file pattern (`*.h5ad`, `sample_?.fastq.gz`), matched and expanded by Sluice
/// itself — never by a shell.
public struct GlobPattern: Sendable {
    /// The pattern as written.
    public let pattern: String

    /// The pattern `pattern`.
    public init(_ pattern: String) { self.pattern = pattern }

    /// True when the file name matches. As in a shell, a leading `.` (a hidden file) must be
    /// matched by a `.` in the pattern, never by `*` or `?`.
    public func matches(_ name: String) -> Bool { fnmatch(pattern, name, FNM_PERIOD) == 0 }

    /// True when the text holds a wildcard (`*`, `?`, `[`).
    public static func hasWildcard(_ text: String) -> Bool { text.contains { "*?[".contains($0) } }

    /// The existing paths the pattern (an absolute path with wildcards) names, sorted.
    public func expand() -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in result.gl_pathv[index].map { String(cString: $0) } }.sorted()
    }
}
