import Foundation

/// A small tab-separated text table with a header line, read whole: the tables users write by
/// hand beside an analysis — expected directions, a cell-type mapping, outcome labels, cell
/// counts. `what` names it in errors ("the cell-type mapping"), `code` is their code.
struct HeaderTable {
    let path: String
    let what: String
    let code: String
    let header: [String]
    /// The lines after the header, split at tabs (a line may be shorter than the header).
    let rows: [[String]]

    init(_ path: String, what: String, code: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AnalysisError(code: code, "could not read \(what) \(path)")
        }
        var lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard !lines.isEmpty else { throw AnalysisError(code: code, "\(what) \(path) is empty") }
        self.path = path
        self.what = what
        self.code = code
        header = lines.removeFirst()
        rows = lines
    }

    /// The position of each of `names` in the header (`ignoringCase`: also ignoring surrounding
    /// spaces); one sentence naming the first that is missing, and all it needs, otherwise.
    func columns(_ names: [String], ignoringCase: Bool = false) throws -> [Int] {
        let key = { (name: String) in ignoringCase ? name.trimmingCharacters(in: .whitespaces).lowercased() : name }
        return try names.map { name in
            guard let index = header.firstIndex(where: { key($0) == key(name) }) else {
                throw AnalysisError(code: code, "\(what) \(path) has no '\(name)' column (it needs \(Self.list(names)))")
            }
            return index
        }
    }

    /// `a, b and c`.
    private static func list(_ names: [String]) -> String {
        names.count > 1 ? names.dropLast().joined(separator: ", ") + " and " + names.last! : names.joined()
    }
}
