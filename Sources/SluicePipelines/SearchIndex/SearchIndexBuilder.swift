import Foundation
import SluiceFormats

/// Gathers the entries of a search index from the files it is given: signature matrices
/// (CytoSig's cytokines, SecAct's secreted proteins: their column names), the HGNC table
/// (symbols, aliases, previous symbols), cell-type hierarchies (each label with its parent), and
/// metadata or result tables (the values of their cell-type, disease and organ/tissue columns).
/// An entry found twice — the same type and name, case aside — is kept once, with both files.
public struct SearchIndexBuilder: Sendable {
    /// What a file given to `sluice index build` holds.
    public enum Kind: String, Sendable, CaseIterable {
        /// A CytoSig signature matrix: genes × cytokines.
        case cytosig
        /// A SecAct signature matrix: genes × secreted proteins.
        case secact
        /// The HGNC complete set (`hgnc_complete_set.txt`).
        case hgnc
        /// A cell-type hierarchy (`L1  L2  L3`, coarsest first).
        case hierarchy
        /// A metadata or result table (TSV or CSV with a header).
        case table
    }

    /// A file and what it holds.
    public struct Input: Sendable, Hashable {
        public var kind: Kind
        public var path: String

        /// `KIND:PATH`, or a path whose kind is told from its name and header: `cytosig` or
        /// `secact` in the file's name, an HGNC header (`hgnc_id`, `symbol`), a hierarchy's
        /// (`L1`, `L2`, …); else a table.
        public init(_ argument: String) throws {
            if let colon = argument.firstIndex(of: ":"), let kind = Kind(rawValue: String(argument[..<colon]).lowercased()) {
                self.kind = kind
                path = String(argument[argument.index(after: colon)...])
            } else {
                path = argument
                kind = try Self.detect(argument)
            }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw AnalysisError(code: "index.missing", "\(path) does not exist or cannot be read")
            }
        }

        private static func detect(_ path: String) throws -> Kind {
            let name = (path as NSString).lastPathComponent.lowercased()
            if name.contains("cytosig") { return .cytosig }
            if name.contains("secact") { return .secact }
            let header = SearchIndexBuilder.fields(SearchIndexBuilder.firstLine(of: path) ?? "").map { $0.lowercased() }
            if header.contains("hgnc_id") && header.contains("symbol") { return .hgnc }
            if !header.isEmpty && header.allSatisfy({ $0.count >= 2 && $0.first == "l" && Int($0.dropFirst()) != nil }) { return .hierarchy }
            return .table
        }
    }

    private struct Key: Hashable {
        var type: SearchEntityType
        var name: String
    }

    private var found: [Key: SearchEntity] = [:]

    public init() {}

    /// The entries, by type (in ``SearchEntityType`` order) then name.
    public var entities: [SearchEntity] {
        found.values.sorted { ($0.type, $0.name.lowercased(), $0.name) < ($1.type, $1.name.lowercased(), $1.name) }
    }

    /// Adds the entries of `input`; throws `AnalysisError` (`index.*`) for a file that is not
    /// what its kind says.
    public mutating func add(_ input: Input) throws {
        let source = input.path
        switch input.kind {
        case .cytosig:
            for name in try Self.columnNames(of: input.path) {
                let genes = CytoSigNames.genes(of: name)
                add(name, .cytokine, genes == [name] ? "CytoSig signature" : "CytoSig signature; genes: " + genes.joined(separator: ", "), source)
                if genes != [name] {
                    for gene in genes { add(gene, .gene, "in CytoSig's \(name)", source) }
                }
            }
        case .secact:
            for name in try Self.columnNames(of: input.path) { add(name, .secretedProtein, "SecAct signature", source) }
        case .hgnc:
            let table = try HGNCTable(path: input.path)
            for gene in table.genes { add(gene.symbol, .gene, [gene.id, gene.ensemblID].compactMap { $0 }.joined(separator: ", "), source) }
            for (alias, indices) in table.byAlias {
                add(alias, .gene, "alias of " + indices.map { table.genes[$0].symbol }.joined(separator: ", "), source)
            }
            for (previous, indices) in table.byPreviousSymbol {
                add(previous, .gene, "previous symbol of " + indices.map { table.genes[$0].symbol }.joined(separator: ", "), source)
            }
        case .hierarchy:
            let hierarchy = try CellTypeHierarchy(contentsOf: input.path)
            for row in hierarchy.rows {
                var parent: String?
                for (level, label) in zip(hierarchy.levels, row) where !label.isEmpty {
                    add(label, .cellType, "\(level)" + (parent.map { "; parent: \($0)" } ?? ""), source)
                    parent = label
                }
            }
        case .table:
            try addTable(input.path)
        }
    }

    /// The values of a table's cell-type, disease and organ (or tissue) columns.
    private mutating func addTable(_ path: String) throws {
        let reader = try Self.reader(path)
        guard let header = try reader.nextLine() else { throw AnalysisError(code: "index.empty", "\(path) is empty: a table needs a header") }
        let comma = !header.contains("\t")
        let columns = Self.fields(header, comma: comma)
        var typed: [(Int, SearchEntityType)] = []
        for (index, column) in columns.enumerated() {
            if let type = Self.columnType(column) { typed.append((index, type)) }
        }
        guard !typed.isEmpty else {
            throw AnalysisError(
                code: "index.no-columns",
                "\(path) has no cell type, disease, organ or tissue column (its columns: \(columns.prefix(12).joined(separator: ", "))); give a signature matrix as cytosig:FILE or secact:FILE"
            )
        }
        while let line = try reader.nextLine() {
            if line.isEmpty { continue }
            let fields = Self.fields(line, comma: comma)
            for (index, type) in typed where index < fields.count {
                let value = fields[index].trimmingCharacters(in: .whitespaces)
                if !value.isEmpty, !["na", "nan", "none", "unknown"].contains(value.lowercased()) { add(value, type, columns[index], path) }
            }
        }
    }

    /// The entity type a table column holds, by its name (case, `_`, `.` and spaces aside).
    static func columnType(_ column: String) -> SearchEntityType? {
        let key = column.lowercased().filter { $0.isLetter || $0.isNumber }
        if key.hasPrefix("celltype") || key == "cluster" || key.hasPrefix("cellontology") { return .cellType }
        if key.hasPrefix("disease") || key == "condition" { return .disease }
        if key.hasPrefix("organ") || key.hasPrefix("tissue") { return .organ }
        return nil
    }

    private mutating func add(_ name: String, _ type: SearchEntityType, _ detail: String, _ source: String) {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return }
        let key = Key(type: type, name: name.lowercased())
        guard var entity = found[key] else {
            found[key] = SearchEntity(name: name, type: type, detail: detail, sources: source)
            return
        }
        if !detail.isEmpty, !entity.detail.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }).contains(detail) {
            entity.detail = entity.detail.isEmpty ? detail : entity.detail + "; " + detail
        }
        if !entity.sources.components(separatedBy: "; ").contains(source) { entity.sources += "; " + source }
        found[key] = entity
    }

    /// A signature matrix's column names: its header's fields, less the row-name column's label
    /// when the header has as many fields as a row (R's `write.table` leaves it out).
    static func columnNames(of path: String) throws -> [String] {
        let reader = try reader(path)
        let lines = [try reader.nextLine(), try reader.nextLine()].compactMap { $0 }
        guard lines.count == 2 else { throw AnalysisError(code: "index.empty", "\(path) holds no signature matrix: it needs a header and a row") }
        let header = fields(lines[0]), row = fields(lines[1])
        let names = header.count == row.count ? Array(header.dropFirst()) : header
        guard !names.isEmpty, row.dropFirst().allSatisfy({ Double($0) != nil || $0.lowercased() == "nan" }) else {
            throw AnalysisError(code: "index.not-a-matrix", "\(path) is not a signature matrix (genes in rows, signatures in columns, numbers in between)")
        }
        return names
    }

    static func firstLine(of path: String) -> String? {
        try? (try? reader(path))?.nextLine()
    }

    /// A reader of `path`'s lines, gzip or not.
    private static func reader(_ path: String) throws -> LineReader {
        do {
            return try LineReader(path: path)
        } catch {
            throw AnalysisError(code: "index.missing", "\(path) does not exist or cannot be read")
        }
    }

    /// A line's fields: comma-separated (double quotes around a field allowed), else tab-separated
    /// when it has a tab, else blank-separated.
    static func fields(_ line: String, comma: Bool = false) -> [String] {
        if comma {
            var fields: [String] = []
            var field = ""
            var quoted = false
            var previous: Character?
            for character in line {
                switch character {
                case "\"" where quoted && previous != "\\":
                    quoted = false
                case "\"" where field.isEmpty && !quoted:
                    quoted = true
                case "," where !quoted:
                    fields.append(field)
                    field = ""
                default:
                    field.append(character)
                }
                previous = character
            }
            fields.append(field)
            return fields
        }
        if line.contains("\t") { return line.split(separator: "\t", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) } }
        return line.split(whereSeparator: { $0 == " " }).map(String.init)
    }
}
