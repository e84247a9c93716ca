public import Foundation
import SluiceFormats

/// What an analysis found in one item, written beside its outputs as `report.json`
/// (`output/<item>/<stage>/report.json`): the analysis's name, its counts in the order it
/// chose (cells, genes, groups kept, …), and histograms whose bins count what it kept and what
/// it filtered out. The run report reads these files without knowing the analyses; every field
/// is a pure function of the input and the options, so the file is byte-identical after a
/// resumed run.
public struct AnalysisReport: Sendable, Codable, Hashable {
    /// One number the analysis reports, under the words the report's table heads it with.
    public struct Count: Sendable, Codable, Hashable {
        public var name: String
        public var value: Double

        public init(_ name: String, _ value: Double) {
            self.name = name
            self.value = value
        }

        public init(_ name: String, _ value: Int) { self.init(name, Double(value)) }

        private enum CodingKeys: String, CodingKey { case name, value }

        /// An undefined value (NaN: a mean over nothing) is written as null, which JSON has and
        /// JSONEncoder needs; null reads back as NaN.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(value.isFinite ? value : nil, forKey: .value)
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            value = try container.decodeIfPresent(Double.self, forKey: .value) ?? .nan
        }
    }

    /// One histogram with its title (what its bins count, and of what).
    public struct Figure: Sendable, Codable, Hashable {
        public var title: String
        public var histogram: DatasetQC.Histogram

        public init(title: String, histogram: DatasetQC.Histogram) {
            self.title = title
            self.histogram = histogram
        }
    }

    /// The file's name in an analysis's output folder.
    public static let fileName = "report.json"

    public var analysis: String
    public var counts: [Count]
    public var figures: [Figure]
    /// The item and stage whose output folder held the file (set by ``read(outputFolder:)``;
    /// not in the file, which an analysis writes without knowing them).
    public var item = ""
    public var stage = ""

    private enum CodingKeys: String, CodingKey { case analysis, counts, figures }

    public init(analysis: String, counts: [Count], figures: [Figure] = []) {
        self.analysis = analysis
        self.counts = counts
        self.figures = figures
    }

    /// The file's bytes: compact JSON, keys sorted.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Writes `report.json` into `folder` (atomically).
    public func write(toFolder folder: String) throws {
        try AtomicCommit.write(try encoded(), to: folder + "/" + Self.fileName)
    }

    /// Every `<output>/<item>/<stage>/report.json` an analysis wrote, by item and then stage
    /// name; files that are unreadable or of another kind are passed over.
    public static func read(outputFolder: String) -> [AnalysisReport] {
        let manager = FileManager.default
        var found: [AnalysisReport] = []
        for item in ((try? manager.contentsOfDirectory(atPath: outputFolder)) ?? []).sorted() {
            let folder = outputFolder + "/" + item
            for stage in ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
                guard let data = manager.contents(atPath: folder + "/" + stage + "/" + fileName),
                    var report = try? JSONDecoder().decode(AnalysisReport.self, from: data)
                else { continue }
                report.item = item
                report.stage = stage
                found.append(report)
            }
        }
        return found
    }
}
