/// Tokens put before and after every cell's genes (Geneformer's 95M models: `<cls>` … `<eos>`).
public struct TokenWrap: Sendable, Hashable, Codable {
    public var first: Int32
    public var last: Int32

    public init(first: Int32, last: Int32) {
        self.first = first
        self.last = last
    }
}
