import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceFormats

@Suite struct ParquetSummaryTests {
    @Test("the summary lists schema, row groups, codecs, metadata and first rows, as text and JSON")
    func summary() throws {
        let directory = try TemporaryDirectory("parquet-summary")
        let path = directory.file("s.parquet")
        var options = ParquetWriterOptions()
        options.keyValueMetadata = ["vocabulary": "[\"A\"]"]
        let schema = ParquetSchema([.scalar("cell_id", .string), .list("input_ids", of: .int32), .scalar("score", .double, nullable: true)])
        let writer = try ParquetWriter(path: path, schema: schema, options: options)
        try writer.write(
            ParquetRowBatch([
                ParquetColumnData(.string(ParquetStrings(["a", "b", "c"]))),
                ParquetColumnData(lists: .int32(Array(0..<12)), offsets: [0, 10, 10, 12]),
                ParquetColumnData(.double([0.5, 0, 2]), validity: [true, false, true]),
            ]))
        try writer.close()
        let summary = try ParquetFileSummary(path: path, firstRows: 2)
        #expect(summary.rows == 3)
        #expect(summary.columns.map(\.type) == ["string", "list<int32>", "double?"])
        #expect(summary.codecs == ["ZSTD"])
        #expect(summary.keyValueMetadata["vocabulary"] == "[\"A\"]")
        #expect(summary.firstRows.count == 2)
        #expect(summary.firstRows[1] == [.string("b"), .list([]), .null])
        let text = summary.text
        #expect(text.contains("3 rows"))
        #expect(text.contains("input_ids  list<int32>"))
        #expect(text.contains("min a, max c"))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any]
        #expect(json?["rows"] as? Int == 3)
        #expect((json?["firstRows"] as? [[Any]])?.count == 2)
    }
}
