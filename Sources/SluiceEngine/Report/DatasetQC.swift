import Foundation

/// One dataset's quality control as its `preprocess` stage wrote it (`output/<item>/report.json`,
/// its `convert` section): cells read, kept and filtered, and the medians of genes and counts per
/// cell and of the mitochondrial share — for the report's per-dataset figure and table.
public struct DatasetQC: Sendable, Hashable {
    public var item: String
    public var cells: Int
    public var kept: Int
    public var dropped: Int
    public var medianGenes: Double?
    public var medianCounts: Double?
    public var medianPercentMito: Double?

    /// Every `<output>/<item>/report.json` that has a `convert` section, by item name; files that
    /// are missing, unreadable or of another kind are passed over.
    public static func read(outputFolder: String) -> [DatasetQC] {
        let items = ((try? FileManager.default.contentsOfDirectory(atPath: outputFolder)) ?? []).sorted()
        return items.compactMap { item in
            guard let data = FileManager.default.contents(atPath: outputFolder + "/" + item + "/report.json"),
                let report = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                let convert = report["convert"] as? [String: Any], let cells = convert["cells"] as? Int
            else { return nil }
            let kept = convert["keptCells"] as? Int ?? cells
            return DatasetQC(
                item: item, cells: cells, kept: kept, dropped: convert["droppedCells"] as? Int ?? cells - kept,
                medianGenes: (convert["medianGenes"] as? NSNumber)?.doubleValue, medianCounts: (convert["medianCounts"] as? NSNumber)?.doubleValue,
                medianPercentMito: (convert["medianPercentMito"] as? NSNumber)?.doubleValue)
        }
    }
}
