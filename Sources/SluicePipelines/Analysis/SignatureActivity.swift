import Foundation
import SluiceKernels

/// Signature activity of expression profiles, as SecActpy's `secact_activity_inference` computes
/// it for bulk input: the profile (centred on each gene's mean across samples, or on the
/// control columns' mean, or used as given when differential) and the signature are cut to the
/// genes they share (in the profile's order), both z-scored per column (sample SD; constant
/// columns become 0), then ridge-regressed with a permutation test (`RidgeActivity`).
public enum SignatureActivity {
    /// beta, se, zscore and pvalue, each signatures × samples.
    public struct Tables: Sendable {
        public var beta: LabeledMatrix
        public var se: LabeledMatrix
        public var zscore: LabeledMatrix
        public var pvalue: LabeledMatrix
        /// The genes that entered the regression, in order.
        public var genes: [String]
    }

    /// The signature table `signature` names: `cytosig` and `secact` are `CytoSig.tsv.gz` and
    /// `SecAct.tsv.gz` (the files the secactpy package ships in secactpy/data) in `directory`, or
    /// in $SLUICE_SIGNATURE_DIR; anything else is a path.
    public static func signatureFile(_ signature: String, directory: String?) throws -> String {
        let builtin = ["cytosig": "CytoSig.tsv.gz", "secact": "SecAct.tsv.gz"]
        guard let file = builtin[signature.lowercased()] else { return signature }
        guard let folder = directory ?? ProcessInfo.processInfo.environment["SLUICE_SIGNATURE_DIR"] else {
            throw AnalysisError(
                code: "activity.signature-dir",
                "--signature \(signature) needs --signature-dir (or SLUICE_SIGNATURE_DIR): the folder with \(file), e.g. site-packages/secactpy/data of a pip install secactpy")
        }
        return folder + "/" + file
    }

    /// Reads an expression table, parsing only the rows whose gene (standardised) the signature
    /// has: the others never enter the regression, and their numbers are most of a large table.
    public static func readProfile(_ path: String, for signature: LabeledMatrix) throws -> LabeledMatrix {
        let wanted = genes(of: signature)
        return try MatrixTable.read(path, keepingRows: { wanted.contains(standardizedName($0)) })
    }

    public static func run(expression: LabeledMatrix, signature: LabeledMatrix, options: ActivityOptions) throws -> Tables {
        let profile = try centred(standardizedGenes(expression), options: options)
        return try run(differentialProfile: profile, signature: signature, options: options)
    }

    /// Activity of a profile that is already standardised and centred (SecActpy's
    /// `is_differential=True`), in batches of `options.batchSize` samples.
    public static func run(differentialProfile profile: LabeledMatrix, signature: LabeledMatrix, options: ActivityOptions) throws -> Tables {
        let model = try ActivityModel(profileGenes: profile.rows, signature: signature, options: options)
        let y = profile.selectingRows(model.profileRows)
        var parts: [(columns: [String], result: ActivityResult)] = []
        let size = max(1, options.batchSize)
        for start in stride(from: 0, to: y.columns.count, by: size) {
            let batch = y.selectingColumns(Array(start..<min(start + size, y.columns.count)))
            parts.append((batch.columns, model.run(batch)))
        }
        return Tables(
            beta: assemble(model, parts, \.beta), se: assemble(model, parts, \.se),
            zscore: assemble(model, parts, \.zscore), pvalue: assemble(model, parts, \.pvalue), genes: model.genes)
    }

    /// The profile SecActpy regresses: as given when differential, else minus each gene's mean
    /// (across all samples, or across the control columns).
    static func centred(_ expression: LabeledMatrix, options: ActivityOptions) throws -> LabeledMatrix {
        if options.differential || (expression.columns.count == 1 && options.controlColumns.isEmpty) { return expression }
        var reference = Array(expression.columns.indices)
        var samples = Array(expression.columns.indices)
        if !options.controlColumns.isEmpty {
            let positions = Dictionary(expression.columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            reference = try options.controlColumns.map { name in
                guard let index = positions[name] else {
                    throw AnalysisError(code: "activity.unknown-control", "the control column '\(name)' is not in the expression profile")
                }
                return index
            }
            samples = expression.columns.indices.filter { !reference.contains($0) }
        }
        var result = LabeledMatrix(
            rows: expression.rows, columns: samples.map { expression.columns[$0] },
            values: [Double](repeating: 0, count: expression.rows.count * samples.count))
        for gene in 0..<expression.rows.count {
            let mean = reference.reduce(0.0) { $0 + expression[gene, $1] } / Double(reference.count)
            for (offset, column) in samples.enumerated() { result[gene, offset] = expression[gene, column] - mean }
        }
        return result
    }

    /// Each column minus its mean, over its sample standard deviation (n − 1); NaN (constant
    /// columns, missing values) becomes 0 — pandas' `(m - m.mean()) / m.std(ddof=1)` then `fillna(0)`.
    static func zscored(_ matrix: LabeledMatrix) -> LabeledMatrix {
        // Row by row (the values are row-major), each column's sums still taken in row order.
        let rows = matrix.rows.count
        let columns = matrix.columns.count
        var result = matrix
        var sum = [Double](repeating: 0, count: columns)
        var count = [Double](repeating: 0, count: columns)
        var squares = [Double](repeating: 0, count: columns)
        matrix.values.withUnsafeBufferPointer { values in
            for row in 0..<rows {
                let base = row * columns
                for column in 0..<columns where !values[base + column].isNaN {
                    sum[column] += values[base + column]
                    count[column] += 1
                }
            }
            let mean = (0..<columns).map { sum[$0] / count[$0] }
            for row in 0..<rows {
                let base = row * columns
                for column in 0..<columns where !values[base + column].isNaN {
                    let delta = values[base + column] - mean[column]
                    squares[column] += delta * delta
                }
            }
            let sd = (0..<columns).map { (squares[$0] / (count[$0] - 1)).squareRoot() }
            result.values.withUnsafeMutableBufferPointer { output in
                for row in 0..<rows {
                    let base = row * columns
                    for column in 0..<columns {
                        let value = (values[base + column] - mean[column]) / sd[column]
                        output[base + column] = value.isFinite ? value : 0
                    }
                }
            }
        }
        return result
    }

    /// Signatures merged by `SignatureGrouping`: each group's column is its members' mean, named
    /// by its members in sorted order joined with `|`.
    static func grouped(_ signature: LabeledMatrix) -> LabeledMatrix {
        let groups = SignatureGrouping.groups(x: signature.values, genes: signature.rows.count, signatures: signature.columns.count)
        let ordered = groups.map { group in group.sorted { Self.precedes(signature.columns[$0], signature.columns[$1]) } }
        var result = LabeledMatrix(
            rows: signature.rows, columns: ordered.map { $0.map { signature.columns[$0] }.joined(separator: "|") },
            values: [Double](repeating: 0, count: signature.rows.count * groups.count))
        for (index, members) in ordered.enumerated() {
            for gene in 0..<signature.rows.count {
                var sum = 0.0
                for member in members { sum += signature[gene, member] }
                result[gene, index] = sum / Double(members.count)
            }
        }
        return result
    }

    /// Python's string order (by code point), which SecActpy's sorting uses.
    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// Label combinations (strata, groups of several columns) in that order, column by column.
    static func precedes(_ a: [String], _ b: [String]) -> Bool { a.lexicographicallyPrecedes(b, by: precedes) }

    /// SecActpy's gene-symbol standardisation: names upper-cased and cut at their first `.`
    /// (`CXCR4.2` → `CXCR4`); of rows that share a name, the one with the highest mean over all
    /// samples stays (the earliest on a tie), and kept rows keep their file order.
    static func standardizedGenes(_ matrix: LabeledMatrix) -> LabeledMatrix {
        var best: [String: (row: Int, mean: Double)] = [:]
        var names: [String] = []
        let width = Double(matrix.columns.count)
        for row in matrix.rows.indices {
            let name = standardizedName(matrix.rows[row])
            names.append(name)
            var sum = 0.0
            for column in 0..<matrix.columns.count { sum += matrix[row, column] }
            let mean = sum / width
            if let current = best[name], !(mean > current.mean) { continue }
            best[name] = (row, mean)
        }
        let keep = best.values.map(\.row).sorted()
        var result = matrix.selectingRows(keep)
        result.rows = keep.map { names[$0] }
        return result
    }

    /// A gene symbol as SecActpy compares them: upper-cased, cut at the first `.`.
    static func standardizedName(_ name: String) -> String {
        String(name.uppercased().split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// The signature with its gene names standardised as the profile's are (``standardizedName``:
    /// matching is never split by case, so CytoSig's `C9orf78` meets an expression's `C9orf78`
    /// or `C9ORF78`); a row whose name was seen before is dropped (the first stays), as pandas'
    /// loader does.
    static func standardizedSignature(_ signature: LabeledMatrix) -> LabeledMatrix {
        var seen = Set<String>()
        let names = signature.rows.map(standardizedName)
        let keep = names.indices.filter { seen.insert(names[$0]).inserted }
        var result = keep.count == names.count ? signature : signature.selectingRows(keep)
        result.rows = keep.map { names[$0] }
        return result
    }

    /// The standardised gene names of a signature, to pick the profile rows worth reading.
    public static func genes(of signature: LabeledMatrix) -> Set<String> { Set(signature.rows.map(standardizedName)) }

    /// One statistic, reported signatures × all samples, from the batches' results.
    private static func assemble(
        _ model: ActivityModel, _ parts: [(columns: [String], result: ActivityResult)],
        _ field: KeyPath<ActivityResult, [Double]>
    ) -> LabeledMatrix {
        let columns = parts.flatMap(\.columns)
        var matrix = LabeledMatrix(
            rows: model.reported.map(\.name), columns: columns,
            values: [Double](repeating: 0, count: model.reported.count * columns.count))
        var offset = 0
        for part in parts {
            let values = part.result[keyPath: field]
            for (row, reported) in model.reported.enumerated() {
                for column in 0..<part.columns.count {
                    matrix[row, offset + column] = values[reported.row * part.columns.count + column]
                }
            }
            offset += part.columns.count
        }
        return matrix
    }
}
