/// How much of each signature the data can see: of the signature's genes (its rows with a
/// weight other than 0), the share the expression data has (present) and the share it measured
/// above zero somewhere (detected). A signature whose genes are mostly missing gives an activity
/// built on little; names are compared standardised (upper case, cut at the first `.`).
public enum GeneCoverage {
    public struct Row: Sendable, Equatable {
        public var signature: String
        public var genes: Int
        public var present: Int
        public var detected: Int
        /// present / genes (NaN for a signature without genes).
        public var presentShare: Double { genes > 0 ? Double(present) / Double(genes) : .nan }
        /// detected / genes.
        public var detectedShare: Double { genes > 0 ? Double(detected) / Double(genes) : .nan }
    }

    /// - Parameters:
    ///   - signature: genes × signatures (weights).
    ///   - present: the expression data's genes; `detected`: those of them with a value above 0.
    public static func compute(signature: LabeledMatrix, present: Set<String>, detected: Set<String>) -> [Row] {
        let standardized = SignatureActivity.standardizedSignature(signature)
        let genes = standardized.rows
        return standardized.columns.enumerated().map { column, name in
            var row = Row(signature: name, genes: 0, present: 0, detected: 0)
            for gene in genes.indices {
                let weight = standardized[gene, column]
                guard weight != 0, !weight.isNaN else { continue }
                row.genes += 1
                if present.contains(genes[gene]) { row.present += 1 }
                if detected.contains(genes[gene]) { row.detected += 1 }
            }
            return row
        }
    }

    /// The standardised names of `expression`'s rows, and of those with a value above 0.
    public static func genes(of expression: LabeledMatrix) -> (present: Set<String>, detected: Set<String>) {
        var present = Set<String>()
        var detected = Set<String>()
        for (row, name) in expression.rows.enumerated() {
            let gene = SignatureActivity.standardizedName(name)
            present.insert(gene)
            if (0..<expression.columns.count).contains(where: { expression[row, $0] > 0 }) { detected.insert(gene) }
        }
        return (present, detected)
    }
}
