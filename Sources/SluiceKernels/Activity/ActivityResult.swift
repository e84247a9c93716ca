/// Signature activity: one value per signature (row) and sample (column), row-major.
public struct ActivityResult: Sendable, Equatable {
    /// Number of signatures (rows).
    public var signatures: Int
    /// Number of samples (columns).
    public var samples: Int
    /// Ridge coefficients.
    public var beta: [Double]
    /// Standard errors: of the permutation null, or analytic (t-test).
    public var se: [Double]
    /// (β − mean of the null) / se, or the t statistic; 0 where se ≤ 1e-12.
    public var zscore: [Double]
    /// Two-sided p-values: (1 + permutations whose |β| reaches the observed |β|) / (1 + permutations),
    /// or from the t distribution.
    public var pvalue: [Double]

    /// A `signatures` × `samples` result with every value 0.
    public init(signatures: Int, samples: Int) {
        self.signatures = signatures
        self.samples = samples
        let zeros = [Double](repeating: 0, count: signatures * samples)
        beta = zeros
        se = zeros
        zscore = zeros
        pvalue = zeros
    }
}
