import Foundation

/// Agreement with what biology already says: a table of expected directions — a signature, a
/// cell type, `up` or `down` (e.g. IFNG up in monocytes, which respond to it) — is compared with
/// the cell-type activity: `up` agrees where the cell type's activity (its z-score) is above 0,
/// `down` where it is below. For activity of a pseudobulk by cell type, whose profile is centred
/// on each gene's mean across the cell types, that is above or below the average cell type.
/// Each signature's concordance rate is the share of its evaluated pairs that agree; a pair whose
/// signature or cell type the activity lacks is listed, not evaluated. Cell types match ignoring
/// case and surrounding spaces.
public enum ExpectedDirections {
    public enum Direction: String, Sendable { case up, down }

    public struct Expectation: Sendable, Equatable {
        public var signature: String
        public var cellType: String
        public var direction: Direction
    }

    public struct Pair: Sendable, Equatable {
        public var expectation: Expectation
        /// The cell type's activity; NaN when the activity has no such signature or cell type.
        public var activity: Double
        public var agrees: Bool? { activity.isNaN ? nil : (expectation.direction == .up ? activity > 0 : activity < 0) }
    }

    public struct Rate: Sendable, Equatable {
        public var signature: String
        public var expected: Int
        public var evaluated: Int
        public var concordant: Int
        /// concordant / evaluated (NaN when none was evaluated).
        public var rate: Double { evaluated > 0 ? Double(concordant) / Double(evaluated) : .nan }
    }

    /// Reads a tab-separated table with a header naming `signature`, `cell_type` and `direction`.
    public static func read(_ path: String) throws -> [Expectation] {
        let table = try HeaderTable(path, what: "the expected-directions table", code: "validate.expected")
        let columns = try table.columns(["signature", "cell_type", "direction"], ignoringCase: true)
        let (signature, cellType, direction) = (columns[0], columns[1], columns[2])
        return try table.rows.enumerated().map { number, fields in
            let field = { (index: Int) in index < fields.count ? fields[index].trimmingCharacters(in: .whitespaces) : "" }
            guard let parsed = Direction(rawValue: field(direction).lowercased()) else {
                throw AnalysisError(code: "validate.expected", "line \(number + 2) of \(path): the direction '\(field(direction))' is neither up nor down")
            }
            return Expectation(signature: field(signature), cellType: field(cellType), direction: parsed)
        }
    }

    /// Each expectation with the activity it meets, and each signature's rate (in the order the
    /// signatures first appear in `expectations`).
    public static func compare(_ expectations: [Expectation], cellTypeActivity: LabeledMatrix) -> (pairs: [Pair], rates: [Rate]) {
        let key = { (name: String) in name.trimmingCharacters(in: .whitespaces).lowercased() }
        let columns = Dictionary(cellTypeActivity.columns.enumerated().map { (key($1), $0) }, uniquingKeysWith: { first, _ in first })
        let rows = Dictionary(cellTypeActivity.rows.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let pairs = expectations.map { expectation in
            let value = rows[expectation.signature].flatMap { row in columns[key(expectation.cellType)].map { cellTypeActivity[row, $0] } }
            return Pair(expectation: expectation, activity: value ?? .nan)
        }
        var rates: [Rate] = []
        var position: [String: Int] = [:]
        for pair in pairs {
            let name = pair.expectation.signature
            let index = position[name] ?? rates.count
            if index == rates.count {
                position[name] = index
                rates.append(Rate(signature: name, expected: 0, evaluated: 0, concordant: 0))
            }
            rates[index].expected += 1
            if let agrees = pair.agrees {
                rates[index].evaluated += 1
                if agrees { rates[index].concordant += 1 }
            }
        }
        return (pairs, rates)
    }
}
