import Foundation
public import SluiceKernels

/// One version of a `model` stage's built-in model (`model.json` in the version's folder): an
/// incremental PCA over a fixed list of genes and every gene's statistics, both of the
/// log-normalised expression `ln(1 + count · 10000 / cell total)`, with the batches of items
/// that made it, in order.
public struct ModelVersion: Sendable, Codable, Hashable {
    /// The genes (ids, version suffixes cut) the PCA's features are, in column order.
    public var features: [String]
    /// Cells per `partial_fit` (a batch's last, smaller, chunk joins the one before it when it
    /// has fewer cells than components, as scikit-learn's `IncrementalPCA.fit` batches).
    public var chunkSize: Int
    public var pca: IncrementalPCA
    /// The genes `statistics` counts, in the order they were first seen.
    public var genes: [String]
    public var statistics: GeneStatistics

    /// A model of `components` components over `features`, that has seen nothing.
    public init(features: [String], components: Int, chunkSize: Int) {
        self.features = features
        self.chunkSize = chunkSize
        pca = IncrementalPCA(components: components, features: features.count)
        genes = []
        statistics = GeneStatistics(genes: 0)
    }

    /// The file a version's folder holds it in.
    public static let fileName = "model.json"

    /// The version in `folder`.
    public init(folder: String) throws {
        let path = folder + "/" + Self.fileName
        do {
            self = try JSONDecoder().decode(ModelVersion.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ModelError(message: "\(path) is not a model version: \(error)")
        }
    }

    /// Writes it into `folder` (sorted keys: the same model gives the same bytes).
    public func write(to folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: folder + "/" + Self.fileName))
    }
}
