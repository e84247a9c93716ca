public import SluiceKernels

/// `sluice analyze cross-atlas`: activity per cell type from several atlases, set side by side.
///
/// - **harmonized**: each atlas's activity (its z-scores) standardised within the atlas — per
///   signature, across the atlas's cell types (mean 0, SD 1 with n − 1; undefined for a constant
///   row or a single cell type) — and, with `adjust`, a location/scale adjustment: per signature,
///   (x − the atlas's mean) / the atlas's SD × the pooled SD + the pooled mean, pooled over every
///   atlas's cell types;
/// - **mapping**: each atlas's cell types on common names (``CellTypeMapping``);
/// - **meta**: per signature and common cell type, the inverse-variance meta-analysis of the
///   atlases' β and SE (``MetaAnalysis``; atlases without `beta.tsv`/`se.tsv` are left out) and
///   the cell-count-weighted mean of β (undefined unless every contributing atlas has counts);
/// - **consistency**: per signature and common cell type, the mean, SD and coefficient of
///   variation SD / |mean| of the atlases' activity;
/// - **correlation**: per signature and pair of atlases, Spearman's ρ of the activity across the
///   common cell types both have;
/// - **conserved**: per common cell type and pair of atlases, the Jaccard index of their top-k
///   signatures (by activity, ties by name), and per cell type the signatures in every top k.
public struct CrossAtlasStudy {
    public var atlases: [AtlasActivity]
    public var mapping: CellTypeMapping
    public var topK = 10
    public var adjust = false

    public struct Harmonized: Sendable, Equatable {
        public var atlas, signature, cellType, common: String
        public var activity, withinZ, adjusted: Double
    }

    public struct Meta: Sendable, Equatable {
        public var signature, cellType: String
        public var result: MetaAnalysis.Result
        public var weightedMean: Double
        public var cells: Int
    }

    public struct Consistency: Sendable, Equatable {
        public var signature, cellType: String
        public var atlases: Int
        public var mean, sd, cv: Double
    }

    public struct Pair: Sendable, Equatable {
        public var signature, atlasA, atlasB: String
        public var spearman: Correlation.Estimate
    }

    public struct Conserved: Sendable, Equatable {
        public var cellType, atlasA, atlasB: String
        public var k, shared: Int
        public var jaccard: Double
        public var signatures: [String]
    }

    public struct Result: Sendable {
        public var harmonized: [Harmonized] = []
        public var meta: [Meta] = []
        public var consistency: [Consistency] = []
        public var correlation: [Pair] = []
        public var conserved: [Conserved] = []
        /// Per common cell type found in two atlases or more: the signatures in every top k.
        public var conservedEverywhere: [(cellType: String, atlases: Int, signatures: [String])] = []
    }

    public init(atlases: [AtlasActivity], mapping: CellTypeMapping) {
        self.atlases = atlases
        self.mapping = mapping
    }

    public func run() throws -> Result {
        guard atlases.count >= 2 else { throw AnalysisError(code: "cross-atlas.atlases", "a cross-atlas study needs at least two atlases, not \(atlases.count)") }
        guard topK > 0 else { throw AnalysisError(code: "cross-atlas.top-k", "--top-k must be positive") }
        var result = Result()
        // Each atlas's column for each common cell type (the first one mapped there).
        let columns: [[String: Int]] = atlases.map { atlas in
            var columns: [String: Int] = [:]
            for (column, cellType) in atlas.zscore.columns.enumerated() {
                if let common = mapping.common(atlas: atlas.name, cellType: cellType), columns[common] == nil { columns[common] = column }
            }
            return columns
        }
        let commons = orderedUnion(atlases.indices.map { atlas in atlases[atlas].zscore.columns.compactMap { mapping.common(atlas: atlases[atlas].name, cellType: $0) } })
        let signatures = orderedUnion(atlases.map(\.zscore.rows))
        let index = { (names: [String]) in Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
        let rows = atlases.map { index($0.zscore.rows) }
        // Where β and SE keep each signature and cell type.
        let betaRows = atlases.map { index($0.beta?.rows ?? []) }
        let betaColumns = atlases.map { index($0.beta?.columns ?? []) }
        let seRows = atlases.map { index($0.se?.rows ?? []) }
        let seColumns = atlases.map { index($0.se?.columns ?? []) }
        result.harmonized = harmonize()
        for signature in signatures {
            // The signature's activity in each atlas for each common cell type (NaN: absent).
            let activity = atlases.indices.map { a in
                commons.map { common in rows[a][signature].flatMap { row in columns[a][common].map { atlases[a].zscore[row, $0] } } ?? .nan }
            }
            for (c, common) in commons.enumerated() {
                var effects: [Double] = []
                var errors: [Double] = []
                var counts: [Int?] = []
                for (a, atlas) in atlases.enumerated() {
                    guard let column = columns[a][common], !activity[a][c].isNaN, let beta = atlas.beta, let se = atlas.se,
                        let betaRow = betaRows[a][signature], let seRow = seRows[a][signature],
                        let betaColumn = betaColumns[a][atlas.zscore.columns[column]], let seColumn = seColumns[a][atlas.zscore.columns[column]]
                    else { continue }
                    // The atlases the meta-analysis can use are the ones the weighted mean uses too.
                    let (effect, error) = (beta[betaRow, betaColumn], se[seRow, seColumn])
                    guard effect.isFinite, error.isFinite, error > 0 else { continue }
                    effects.append(beta[betaRow, betaColumn])
                    errors.append(se[seRow, seColumn])
                    counts.append(atlas.cellCounts[atlas.zscore.columns[column]])
                }
                let values = atlases.indices.map { activity[$0][c] }.filter { !$0.isNaN }
                if !values.isEmpty {
                    let (mean, sd) = Self.moments(values)
                    result.consistency.append(
                        Consistency(signature: signature, cellType: common, atlases: values.count, mean: mean, sd: sd, cv: sd / abs(mean)))
                }
                guard !effects.isEmpty else { continue }
                let known = counts.compactMap { $0 }
                let weighted =
                    known.count == counts.count && known.reduce(0, +) > 0
                    ? zip(known, effects).reduce(0) { $0 + Double($1.0) * $1.1 } / Double(known.reduce(0, +)) : .nan
                result.meta.append(
                    Meta(
                        signature: signature, cellType: common, result: MetaAnalysis.combine(effects: effects, standardErrors: errors),
                        weightedMean: weighted, cells: known.count == counts.count ? known.reduce(0, +) : 0))
            }
            for a in atlases.indices {
                for b in (a + 1)..<atlases.count {
                    result.correlation.append(
                        Pair(
                            signature: signature, atlasA: atlases[a].name, atlasB: atlases[b].name,
                            spearman: Correlation.spearman(activity[a], activity[b])))
                }
            }
        }
        conserve(commons: commons, columns: columns, into: &result)
        return result
    }

    /// Within-atlas z-scores and, with `adjust`, the location/scale-adjusted activity.
    private func harmonize() -> [Harmonized] {
        let pooled = adjust ? pooledMoments() : [:]
        var rows: [Harmonized] = []
        for atlas in atlases {
            let matrix = atlas.zscore
            for (row, signature) in matrix.rows.enumerated() {
                let values = (0..<matrix.columns.count).map { matrix[row, $0] }
                let (mean, sd) = Self.moments(values)
                for (column, cellType) in matrix.columns.enumerated() {
                    let x = values[column]
                    let adjusted = pooled[signature].map { (x - mean) / sd * $0.sd + $0.mean } ?? .nan
                    rows.append(
                        Harmonized(
                            atlas: atlas.name, signature: signature, cellType: cellType,
                            common: mapping.common(atlas: atlas.name, cellType: cellType) ?? cellType, activity: x,
                            withinZ: sd > 0 ? (x - mean) / sd : .nan, adjusted: sd > 0 ? adjusted : .nan))
                }
            }
        }
        return rows
    }

    /// Each signature's mean and SD over every atlas's cell types.
    private func pooledMoments() -> [String: (mean: Double, sd: Double)] {
        var values: [String: [Double]] = [:]
        for atlas in atlases {
            for (row, signature) in atlas.zscore.rows.enumerated() {
                values[signature, default: []] += (0..<atlas.zscore.columns.count).map { atlas.zscore[row, $0] }
            }
        }
        return values.mapValues { Self.moments($0) }
    }

    /// Mean and SD (n − 1) of the values that are not NaN.
    static func moments(_ values: [Double]) -> (mean: Double, sd: Double) {
        let kept = values.filter { !$0.isNaN }
        guard !kept.isEmpty else { return (.nan, .nan) }
        let mean = kept.reduce(0, +) / Double(kept.count)
        guard kept.count > 1 else { return (mean, .nan) }
        return (mean, (kept.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(kept.count - 1)).squareRoot())
    }

    /// The top-k comparisons per common cell type.
    private func conserve(commons: [String], columns: [[String: Int]], into result: inout Result) {
        for common in commons {
            let present = atlases.indices.filter { columns[$0][common] != nil }
            let tops = present.map { a -> Set<String> in
                let matrix = atlases[a].zscore
                let column = columns[a][common]!
                let ranked = matrix.rows.indices.filter { !matrix[$0, column].isNaN }.sorted { x, y in
                    let (u, v) = (matrix[x, column], matrix[y, column])
                    return u != v ? u > v : SignatureActivity.precedes(matrix.rows[x], matrix.rows[y])
                }
                return Set(ranked.prefix(topK).map { matrix.rows[$0] })
            }
            for i in present.indices {
                for j in (i + 1)..<present.count {
                    let shared = tops[i].intersection(tops[j])
                    let union = tops[i].union(tops[j])
                    result.conserved.append(
                        Conserved(
                            cellType: common, atlasA: atlases[present[i]].name, atlasB: atlases[present[j]].name, k: topK, shared: shared.count,
                            jaccard: union.isEmpty ? .nan : Double(shared.count) / Double(union.count),
                            signatures: shared.sorted(by: SignatureActivity.precedes)))
                }
            }
            if present.count >= 2 {
                let everywhere = tops.dropFirst().reduce(tops[0]) { $0.intersection($1) }
                result.conservedEverywhere.append((common, present.count, everywhere.sorted(by: SignatureActivity.precedes)))
            }
        }
    }

    /// The names of `lists` in order of first appearance.
    private func orderedUnion(_ lists: [[String]]) -> [String] {
        var seen = Set<String>()
        return lists.flatMap { $0 }.filter { seen.insert($0).inserted }
    }
}
