/// The genes whose own expression a signature's activity should follow: a CytoSig name that is
/// not a gene symbol stands for its genes (`TNFA` → TNF, `IL12` → IL12A and IL12B; see
/// ``CytoSigNames``), any other name (SecAct's are gene symbols) for itself, and a grouped
/// signature (`A|B`, from `--group-signatures`) for its members' genes. Names are standardised
/// as the activity's genes are (upper case, cut at the first `.`).
public enum SignatureGenes {
    public static func genes(of signature: String) -> [String] {
        var seen = Set<String>()
        return signature.split(separator: "|", omittingEmptySubsequences: true)
            .flatMap { CytoSigNames.genes(of: String($0)) }
            .map(SignatureActivity.standardizedName)
            .filter { seen.insert($0).inserted }
    }
}
