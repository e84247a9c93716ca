import Foundation

/// Reads a manifest: a tab-separated file with a header naming its columns — `name`, `url`
/// (http, https, file URLs or paths; several separated by `;`), and optionally `size`,
/// `sha256` or `md5` (`;`-separated for several files), `group`; any other column (`pages`, `organism`, …) travels with its item
/// as ``ItemSpec/metadata``, unless its name is one letter off a known column's (a typo). Lines
/// starting with `#` and blank lines are skipped.
struct ManifestReader {
    let path: String
    /// Turns a relative path into an absolute one (relative to the pipeline file's folder).
    let resolve: (String) -> String

    func read() throws -> [ItemSpec] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(.unreadable, "cannot read the manifest", file: path)
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().filter {
            let trimmed = $0.element.trimmingCharacters(in: .whitespaces)
            return !trimmed.isEmpty && !trimmed.hasPrefix("#")
        }
        guard !lines.isEmpty else { throw ConfigError(.badValue, "the manifest is empty", file: path) }
        let header = lines.removeFirst().element.split(separator: "\t", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        let known = ["name", "url", "size", "sha256", "md5", "group"]
        for name in header where !known.contains(name) {
            if let meant = known.first(where: { Self.oneEditApart(name, $0) }) {
                throw ConfigError(.unknownKey, "manifest column '\(name)': did you mean '\(meant)'?", file: path, line: 1)
            }
        }
        if let repeated = header.first(where: { name in header.count { $0 == name } > 1 }) {
            throw ConfigError(.badValue, "the manifest has two columns named '\(repeated)'", file: path, line: 1)
        }
        guard let urlColumn = header.firstIndex(of: "url") else {
            throw ConfigError(.missingKey, "the manifest needs a 'url' column", file: path, line: 1)
        }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        return try lines.map { number, line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            func field(_ index: Int?) -> String? {
                guard let index, index < fields.count, !fields[index].isEmpty else { return nil }
                return fields[index]
            }
            guard let urls = field(urlColumn) else {
                throw ConfigError(.missingKey, "this line has no url", file: path, line: number + 1)
            }
            let sources = urls.split(separator: ";").map { String($0).trimmingCharacters(in: .whitespaces) }.map {
                $0.contains("://") ? $0 : resolve($0)
            }
            var item = ItemSpec(name: field(column("name")) ?? (sources[0] as NSString).lastPathComponent, sources: sources)
            if let size = field(column("size")) {
                guard let bytes = ByteSize.parse(size) else {
                    throw ConfigError(.badValue, "size '\(size)' is not a size", file: path, line: number + 1)
                }
                item.size = bytes
            }
            // Several files: digests separated by `;`, in the order of the urls.
            for algorithm in [ExpectedChecksum.Algorithm.sha256, .md5] {
                guard let digests = field(column(algorithm.rawValue)) else { continue }
                let list = digests.split(separator: ";", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
                if let problem = item.setChecksums(list, algorithm) { throw ConfigError(.badValue, problem, file: path, line: number + 1) }
            }
            item.group = field(column("group"))
            let extra = header.indices.filter { !known.contains(header[$0]) }.compactMap { index in field(index).map { (header[index], $0) } }
            if !extra.isEmpty { item.metadata = Dictionary(uniqueKeysWithValues: extra) }
            return item
        }
    }

    /// Whether `a` becomes `b` by changing, adding or removing one letter, or by swapping two
    /// neighbours.
    static func oneEditApart(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a), Array(b))
        guard x != y, abs(x.count - y.count) <= 1 else { return false }
        let shared = min(x.count, y.count)
        let first = (0..<shared).first { x[$0] != y[$0] } ?? shared
        if x.count == y.count {
            if x[(first + 1)...] == y[(first + 1)...] { return true }
            return first + 1 < x.count && x[first] == y[first + 1] && x[first + 1] == y[first] && x[(first + 2)...] == y[(first + 2)...]
        }
        let (long, short) = x.count > y.count ? (x, y) : (y, x)
        return long[(first + 1)...] == short[first...]
    }
}
