/// Turns input file names into the folder names datasets use under `interim/`, `output/`, `logs/`.
///
/// Spaces and special characters become `_`, runs of `_` collapse, leading and trailing `_` are
/// dropped, and the extension goes (`"my dataset.h5ad"` → `my_dataset`,
/// `"dataset@special.h5ad"` → `dataset_special`). Inputs that would share a name get stable
/// suffixes `_2`, `_3`, … in the order given.
public enum DatasetName {
    /// The sanitized name of one file name.
    public static func sanitize(_ fileName: String) -> String {
        var base = fileName
        for suffix in [".h5ad", ".h5", ".loom", ".mtx.gz", ".mtx", ".gz"] where base.lowercased().hasSuffix(suffix) {
            base = String(base.dropLast(suffix.count))
            break
        }
        var result = ""
        var lastWasUnderscore = false
        for scalar in base.unicodeScalars {
            let keep = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == ".")
            if keep {
                result.unicodeScalars.append(scalar)
                lastWasUnderscore = false
            } else if !lastWasUnderscore {
                result.append("_")
                lastWasUnderscore = true
            }
        }
        while result.hasPrefix("_") { result.removeFirst() }
        while result.hasSuffix("_") { result.removeLast() }
        return result.isEmpty ? "dataset" : result
    }

    /// Sanitized, distinct names for `fileNames`, in the same order.
    public static func distinctNames(_ fileNames: [String]) -> [String] {
        var used = Set<String>()
        return fileNames.map { fileName in
            let base = sanitize(fileName)
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
