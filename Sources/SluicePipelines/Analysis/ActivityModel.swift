public import SluiceKernels

/// The regression one activity run shares across all its sample batches: the genes the
/// profile and the signature have in common (in the profile's order), the signature cut to them
/// and z-scored, and the ridge projection computed once. Bulk profiles, pseudobulk samples and
/// single cells all go through ``run(_:)`` batch by batch.
public struct ActivityModel: Sendable {
    /// The genes that enter the regression, in the profile's order.
    public let genes: [String]
    /// For each of ``genes``, its row in the profile the model was built for.
    public let profileRows: [Int]
    /// The signature columns regressed (after grouping: members joined by `|`).
    public let signatures: [String]
    /// The reported signatures (groups expanded to their members, sorted by name), each with
    /// its row in a result.
    public let reported: [(name: String, row: Int)]
    private let ridge: RidgeActivity
    private let test: RidgeActivity.Test

    /// - Parameters:
    ///   - profileGenes: the profile's (standardised) gene names, one per row.
    ///   - signature: genes × signatures, as read (its gene names are standardised here).
    public init(profileGenes: [String], signature: LabeledMatrix, options: ActivityOptions) throws {
        let signature = SignatureActivity.standardizedSignature(signature)
        let prepared = options.groupSignatures ? SignatureActivity.grouped(signature) : signature
        let signatureRows = Dictionary(prepared.rows.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var profileRows: [Int] = []
        var signatureIndices: [Int] = []
        for (index, gene) in profileGenes.enumerated() {
            if let row = signatureRows[gene] {
                profileRows.append(index)
                signatureIndices.append(row)
            }
        }
        guard profileRows.count >= max(2, options.minimumGenes) else {
            throw AnalysisError(
                code: "activity.too-few-genes",
                "only \(profileRows.count) genes are shared by the expression profile and the signature; check that both use gene symbols")
        }
        let x = SignatureActivity.zscored(prepared.selectingRows(signatureIndices))
        ridge = try RidgeActivity(x: x.values, genes: x.rows.count, signatures: x.columns.count, lambda: options.lambda)
        test = options.test
        genes = x.rows
        self.profileRows = profileRows
        signatures = x.columns
        reported =
            options.groupSignatures
            ? x.columns.enumerated()
                .flatMap { row, name in name.split(separator: "|", omittingEmptySubsequences: false).map { (String($0), row) } }
                .sorted { SignatureActivity.precedes($0.0, $1.0) }
            : x.columns.enumerated().map { ($1, $0) }
    }

    /// Activity of a batch of samples: `profile` holds the model's ``genes`` (rows, in order) ×
    /// samples, centred but not yet z-scored.
    public func run(_ profile: LabeledMatrix) -> ActivityResult {
        precondition(profile.rows.count == genes.count, "the batch must hold the model's genes")
        let y = SignatureActivity.zscored(profile)
        return ridge.run(y: y.values, samples: y.columns.count, test: test)
    }
}
