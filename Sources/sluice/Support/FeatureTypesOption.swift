import ArgumentParser
import SluiceFormats

/// `--feature-types`: which typed features of a 10x file count as genes.
struct FeatureTypesOption: ParsableArguments {
    @Option(
        help: """
            Features that count as genes where the file types them (feature_types): gene-expression, all, \
            or types separated by commas (e.g. "Antibody Capture"). Default: gene expression in 10x files \
            (as scanpy's gex_only), all in h5ad and Loom files (as anndata).
            """)
    var featureTypes: String?

    var selection: FeatureSelection? { featureTypes.map(FeatureSelection.init(argument:)) }
}
