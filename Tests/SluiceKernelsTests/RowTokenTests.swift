import SluiceFormats
import SluiceKernels
import Testing

/// Scoring a matrix row as it is read gives the tokens of gathering it first, with unmapped
/// genes and explicit zeros skipped.
@Suite("Rank-value tokens of matrix rows")
struct RowTokenTests {
    @Test("a row scored as read equals its gathered slots", arguments: [5, 2048])
    func rowEqualsGathered(limit: Int) {
        var random = SeededGenerator(seed: UInt64(limit))
        let genes = 600
        // Every third gene has no token; tokens descend as genes ascend.
        let map = GeneTokenMap(tokenOfGene: (0..<genes).map { $0 % 3 == 0 ? nil : Int32(5_000 - $0) })
        #expect(map.isOneToOne)
        var offsets: [Int64] = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        for row in 0..<40 {
            for gene in 0..<genes where random.next() % 4 == 0 || row == 0 {
                columns.append(Int32(gene))
                values.append(random.next() % 9 == 0 ? 0 : Float(1 + random.next() % 6))
            }
            offsets.append(Int64(columns.count))
        }
        offsets.append(offsets.last!)  // an empty row
        let rows = SparseRows(offsets: offsets, columns: columns, values: values, columnCount: genes)
        let medians = (0..<map.slotCount).map { _ in 1 + Double(random.next() % 7) / 4 }
        let tokenizer = RankValueTokenizer(topGenes: limit, medians: medians, tokenOfSlot: map.tokenOfSlot)
        var sorter = RankSorter()
        var scratch = [Double](repeating: 0, count: map.slotCount)
        var touched: [Int32] = []
        var slots = [Int32](repeating: 0, count: genes)
        var counts = [Double](repeating: 0, count: genes)
        for row in 0..<rows.rowCount {
            let total = Double(500 + row)
            var direct = [Int32](repeating: -1, count: genes + 1)
            let written = direct.withUnsafeMutableBufferPointer { output in
                tokenizer.writeTokens(rows, row: row, map: map, total: total, sorter: &sorter, into: output.baseAddress!)
            }
            let gathered = slots.withUnsafeMutableBufferPointer { slots in
                counts.withUnsafeMutableBufferPointer { counts in
                    map.gather(rows, row: row, scratch: &scratch, touched: &touched, slots: slots.baseAddress!, counts: counts.baseAddress!)
                }
            }
            var expected: [Int32] = []
            tokenizer.appendTokens(slots: Array(slots[0..<gathered]), counts: Array(counts[0..<gathered]), total: total, sorter: &sorter, to: &expected)
            #expect(Array(direct[0..<written]) == expected, "row \(row)")
            #expect(direct[written] == -1)
            #expect(row != rows.rowCount - 1 || written == 0)
        }
    }
}
