import Foundation
import SluiceFormats

/// The HGNC complete set (`hgnc_complete_set.txt`): approved human gene symbols with their
/// Ensembl ids, previous symbols and aliases.
///
/// Only rows with status `Approved` are kept. Multi-valued fields are `|`-separated and may be
/// wrapped in double quotes, as HGNC publishes them.
public struct HGNCTable: Sendable {
    /// One approved gene.
    public struct Gene: Sendable, Hashable {
        /// `HGNC:<number>`.
        public var id: String
        public var number: Int
        public var symbol: String
        public var ensemblID: String?
    }

    public let path: String
    /// Approved genes in HGNC-id order.
    public let genes: [Gene]
    let bySymbol: [String: [Int]]
    let byEnsembl: [String: [Int]]
    let byPreviousSymbol: [String: [Int]]
    let byAlias: [String: [Int]]

    /// Loads the TSV at `path`.
    public init(path: String) throws {
        self.path = path
        let reader = try LineReader(path: path)
        guard let header = try reader.nextLine() else {
            throw FormatError(.malformedText, path: path, "is empty; expected the HGNC complete set TSV")
        }
        let columns = header.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        func column(_ name: String) throws -> Int {
            guard let index = columns.firstIndex(of: name) else {
                throw FormatError(
                    .malformedText, path: path, "has no \(name) column; is this the HGNC complete set (hgnc_complete_set.txt)?")
            }
            return index
        }
        let (idColumn, symbolColumn, statusColumn) = (try column("hgnc_id"), try column("symbol"), try column("status"))
        let (aliasColumn, previousColumn, ensemblColumn) = (try column("alias_symbol"), try column("prev_symbol"), try column("ensembl_gene_id"))
        var rows: [(gene: Gene, aliases: [String], previous: [String])] = []
        while let line = try reader.nextLine() {
            if line.isEmpty { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count > max(idColumn, symbolColumn, statusColumn, aliasColumn, previousColumn, ensemblColumn) else {
                throw FormatError(.malformedText, path: path, "line \(reader.lineNumber) has \(fields.count) fields, the header \(columns.count)")
            }
            guard Self.unquote(fields[statusColumn]) == "Approved" else { continue }
            let id = Self.unquote(fields[idColumn])
            guard id.hasPrefix("HGNC:"), let number = Int(id.dropFirst(5)) else {
                throw FormatError(.malformedText, path: path, "line \(reader.lineNumber) has hgnc_id \"\(id)\", expected HGNC:<number>")
            }
            let ensembl = Self.unquote(fields[ensemblColumn])
            rows.append(
                (
                    Gene(id: id, number: number, symbol: Self.unquote(fields[symbolColumn]), ensemblID: ensembl.isEmpty ? nil : ensembl),
                    Self.values(fields[aliasColumn]), Self.values(fields[previousColumn])
                ))
        }
        rows.sort { $0.gene.number < $1.gene.number }
        genes = rows.map(\.gene)
        var bySymbol: [String: [Int]] = [:]
        var byEnsembl: [String: [Int]] = [:]
        var byPrevious: [String: [Int]] = [:]
        var byAlias: [String: [Int]] = [:]
        for (index, row) in rows.enumerated() {
            bySymbol[row.gene.symbol, default: []].append(index)
            if let ensembl = row.gene.ensemblID { byEnsembl[ensembl, default: []].append(index) }
            for previous in row.previous { byPrevious[previous, default: []].append(index) }
            for alias in row.aliases { byAlias[alias, default: []].append(index) }
        }
        self.bySymbol = bySymbol
        self.byEnsembl = byEnsembl
        self.byPreviousSymbol = byPrevious
        self.byAlias = byAlias
    }

    private static func unquote(_ field: String) -> String {
        var text = field.trimmingCharacters(in: .whitespaces)
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
        return text
    }

    private static func values(_ field: String) -> [String] {
        unquote(field).split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
