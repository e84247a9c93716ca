/// Turns input file names into the folder names datasets use under `interim/`, `output/`, `logs/`.
///
/// Spaces and special characters become `_`, runs of `_` collapse, leading and trailing `_` and
/// `.` are dropped, and the extension goes (`"my dataset.h5ad"` → `my_dataset`,
/// `"dataset@special.h5ad"` → `dataset_special`, `"...h5ad"` → `dataset`). A name is at most
/// `maximumLength` characters, so it and its suffixes fit in one path component. Inputs that
/// would share a name get stable suffixes `_2`, `_3`, … in the order given.
public enum DatasetName {
    /// Characters a sanitized name keeps at most (file systems allow 255 bytes a component; room
    /// is left for `.partial` and a `_N` suffix).
    public static let maximumLength = 200

    /// The sanitized name of one file name.
    public static func sanitize(_ fileName: String) -> String {
        var base = fileName
        for suffix in [".h5ad", ".h5", ".loom", ".mtx.gz", ".mtx", ".gz"] where base.lowercased().hasSuffix(suffix) {
            base = String(base.dropLast(suffix.count))
            break
        }
        return component(base, fallback: "dataset")
    }

    /// A name made safe to be one path component: only ASCII letters, digits, `-`, `.` and `_`,
    /// never empty, never starting or ending with `.` or `_` (so never `.` or `..`).
    public static func component(_ text: String, fallback: String) -> String {
        var result = ""
        var lastWasUnderscore = false
        for scalar in text.unicodeScalars {
            let keep = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == ".")
            if keep {
                result.unicodeScalars.append(scalar)
                lastWasUnderscore = false
            } else if !lastWasUnderscore {
                result.append("_")
                lastWasUnderscore = true
            }
        }
        func isTrimmed(_ character: Character) -> Bool { character == "_" || character == "." }
        if result.count > maximumLength { result = String(result.prefix(maximumLength)) }
        while let first = result.first, isTrimmed(first) { result.removeFirst() }
        while let last = result.last, isTrimmed(last) { result.removeLast() }
        return result.isEmpty ? fallback : result
    }

    /// Sanitized, distinct names for `fileNames`, in the same order.
    public static func distinctNames(_ fileNames: [String]) -> [String] {
        distinct(fileNames.map(sanitize))
    }

    /// Group names made safe path components (see `component`): equal names stay equal,
    /// different names stay different.
    public static func groupNames(_ groups: [String]) -> [String: String] {
        var seen = Set<String>()
        let unique = groups.filter { seen.insert($0).inserted }
        return Dictionary(uniqueKeysWithValues: zip(unique, distinct(unique.map { component($0, fallback: "group") })))
    }

    /// `names` with suffixes `_2`, `_3`, … on repeats, in the order given.
    static func distinct(_ names: [String]) -> [String] {
        var used = Set<String>()
        return names.map { base in
            var name = base
            var suffix = 2
            while used.contains(name) {
                name = "\(base)_\(suffix)"
                suffix += 1
            }
            used.insert(name)
            return name
        }
    }
}
