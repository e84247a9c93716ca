import ArgumentParser
import Foundation
import SluiceFormats
import SluiceKernels
import SluicePipelines

/// `sluice model`: the built-in model a `model` stage updates after every batch of items.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Update an incremental PCA and per-gene statistics with a batch of datasets, or embed a dataset's cells.",
        discussion: """
            Values are log-normalised counts, ln(1 + count × 10000 / cell total), genes sharing an id \
            summed. update feeds the batch's cells, in order, to the PCA in chunks of --chunk-size \
            (a last chunk smaller than the components joins the one before, as scikit-learn's \
            IncrementalPCA.fit batches), so that scikit-learn's partial_fit on the same chunks gives the \
            same model; every gene's count, detection, mean and variance are kept exactly (mergeable). \
            A model stage runs these in their own processes, one batch at a time.
            """,
        subcommands: [Update.self, Embed.self])

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Apply one batch of datasets to a model version, writing the next one.")
        @Argument(help: "The batch's datasets, in order.") var datasets: [String]
        @Option(help: "The version folder to start from (default: a new model).") var from: String?
        @Option(help: "The folder the new version's model.json goes to.") var out: String
        @Option(help: "For a new model: the genes the PCA's features are (one id per line, or a JSON list or token dictionary).")
        var features: String?
        @Option(help: "For a new model: the components kept.") var components = 50
        @Option(help: "For a new model: cells per partial_fit.") var chunkSize = 1000
        @OptionGroup var reading: ModelReading

        func run() throws {
            var update: ModelUpdate
            if let from {
                update = ModelUpdate(model: try ModelVersion(folder: from))
            } else {
                guard let features else { throw ValidationError("a new model needs --features") }
                let genes = try ModelFeatures.read(features)
                guard components >= 1, components <= genes.count else {
                    throw ValidationError("--components must be from 1 to the \(genes.count) features")
                }
                update = ModelUpdate(model: ModelVersion(features: genes, components: components, chunkSize: max(chunkSize, components)))
            }
            reading.configure(&update)
            let before = update.model.pca.samplesSeen
            try update.apply(datasets)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try update.model.write(to: out)
            print("\(datasets.count) dataset(s), \(update.model.pca.samplesSeen - before) cells: the model has seen \(update.model.pca.samplesSeen) cells; \(out)")
        }
    }

    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "embed", abstract: "Write a dataset's cells projected on a model version's components (Parquet: cell_id, embedding).")
        @Argument(help: "The version folder.") var version: String
        @Argument(help: "The dataset.") var dataset: String
        @Option(help: "The Parquet file to write.") var out: String
        @OptionGroup var reading: ModelReading

        func run() throws {
            var update = ModelUpdate(model: try ModelVersion(folder: version))
            reading.configure(&update)
            try update.embed(dataset, to: out)
        }
    }
}

/// How `sluice model` reads datasets.
struct ModelReading: ParsableArguments {
    @Option(help: "h5ad matrix to read: X, raw or layers/NAME (default: the counts, as preprocess picks them).") var matrix: String?
    @Option(help: "var column holding the gene ids (default: ensembl_id, gene_ids or feature_id, else the index).") var geneIdColumn: String?
    @Option(help: "Folder where CSC and Matrix Market inputs are sorted by cell (default: the system's temporary folder).") var scratch: String?
    @Option(
        help: """
            Threads for the PCA's matrix products. Each partial_fit's products are small (chunk + \
            components rows): a second thread mostly spins, taking CPU from the run's other stages.
            """)
    var blasThreads = 1

    func configure(_ update: inout ModelUpdate) {
        BLASKernels.useThreads(blasThreads)
        update.matrix = matrix
        update.geneIDColumn = geneIdColumn
        update.scratchDirectory = scratch
    }
}
