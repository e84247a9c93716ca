/// Settings of a model family's tokenizer, chosen by name (`--preset`, `preset:`).
///
/// Both Geneformer presets score as its `TranscriptomeTokenizer` does
/// (``SluiceKernels/RankValueTokenizer/geneformerOrder``): the 30M models take 2,048 tokens;
/// the 95M ones 4,096, made of the first 4,094 genes between `<cls>` and `<eos>`.
public enum TokenPreset: String, Sendable, Hashable, Codable, CaseIterable {
    case geneformer30m = "geneformer-30m"
    case geneformer95m = "geneformer-95m"

    /// Genes kept per cell, before any special tokens are added.
    public var topGenes: Int {
        switch self {
        case .geneformer30m: 2_048
        case .geneformer95m: 4_094
        }
    }

    /// Whether each cell's genes go between `<cls>` and `<eos>`.
    public var addsClsAndEos: Bool { self == .geneformer95m }

    /// Sets `options` as the preset does; the first and last tokens come from the vocabulary.
    public func apply(to options: inout ConvertOptions) {
        options.topGenes = topGenes
        options.geneformerOrder = true
    }

    /// The `<cls>` and `<eos>` ids of `vocabulary` when this preset adds them, else nil; throws
    /// when it needs them and the vocabulary has none.
    public func wrap(from vocabulary: Vocabulary) throws -> TokenWrap? {
        guard addsClsAndEos else { return nil }
        guard let first = vocabulary.special_tokens["<cls>"], let last = vocabulary.special_tokens["<eos>"] else {
            throw PreprocessError(
                code: "no-special-tokens",
                message: "--preset \(rawValue) puts each cell between <cls> and <eos>, but the vocabulary has no such tokens; use a token dictionary that has them (Geneformer's 95M one does)")
        }
        return TokenWrap(first: first, last: last)
    }
}
