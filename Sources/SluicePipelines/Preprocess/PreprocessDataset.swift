import Foundation
import SluiceEngine

/// One input of `sluice preprocess` and where its files go.
public struct PreprocessDataset: Sendable, Hashable {
    /// The input file.
    public var input: String
    /// The sanitized, distinct name used for its folders.
    public var name: String

    public init(input: String, name: String) {
        self.input = input
        self.name = name
    }

    func interim(_ options: PreprocessOptions) -> String { join(options.interimDirectory, name) }
    func genePlan(_ options: PreprocessOptions) -> String { join(interim(options), "genes.json") }
    func tokenChunks(_ options: PreprocessOptions) -> String { join(interim(options), "chunks") }
    func cleanChunks(_ options: PreprocessOptions) -> String { join(interim(options), "clean") }
    func stepRecord(_ options: PreprocessOptions, _ step: String) -> String { join(interim(options), "\(step).json") }
    func output(_ options: PreprocessOptions) -> String { join(options.outputDirectory, name) }
    func report(_ options: PreprocessOptions) -> String { join(output(options), "report.json") }
    func logs(_ options: PreprocessOptions) -> String { join(options.logDirectory, name) }

    /// The datasets for `inputs`, named distinctly in the order given.
    public static func datasets(_ inputs: [String]) -> [PreprocessDataset] {
        let names = DatasetName.distinctNames(inputs.map { ($0 as NSString).lastPathComponent })
        return zip(inputs, names).map { PreprocessDataset(input: $0, name: $1) }
    }

    /// The `*.h5ad` files of `folder`, sorted by name.
    public static func inputs(inFolder folder: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw PreprocessError(code: "input-folder", message: "cannot list the input folder \(folder)")
        }
        return names.filter { $0.lowercased().hasSuffix(".h5ad") }.sorted().map { join(folder, $0) }
    }
}

func join(_ folder: String, _ name: String) -> String {
    (folder as NSString).appendingPathComponent(name)
}
