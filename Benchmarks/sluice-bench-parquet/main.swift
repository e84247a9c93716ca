// Writes and reads the token-table benchmark file with Sluice's Parquet writer and reader.
// scripts/bench/parquet_vs_pyarrow.sh runs this and pyarrow on the same data and prints ratios.
//
//   sluice-bench-parquet write PATH [ROWS] [ZSTD_LEVEL]   prints: write SECONDS BYTES
//   sluice-bench-parquet read PATH                          prints: read SECONDS ROWS
//
// The data formula matches scripts/bench/parquet_vs_pyarrow.py exactly (same tokens, same labels).
import Foundation
import SluiceFormats

let tokensPerRow = 2048
let batchRows = 10_000

/// Token `position` of row `row`: a 64-bit multiplicative hash folded to a 60,000-word vocabulary.
@inline(__always)
func token(_ index: UInt64) -> Int32 {
    var h = index &* 0x9E37_79B9_7F4A_7C15
    h ^= h >> 32
    return Int32(truncatingIfNeeded: h % 60_000)
}

let labels: [(String, [String])] = [
    ("cell_type", ["T cell", "B cell", "NK cell", "monocyte", "dendritic cell", "neutrophil", "erythrocyte", "platelet"]),
    ("tissue", ["blood", "lung", "liver", "kidney", "brain"]),
    ("donor", (0..<20).map { "donor_\($0)" }),
    ("assay", ["10x 3' v2", "10x 3' v3", "Smart-seq2"]),
    ("split", ["train", "test"]),
]

func batch(startRow: Int, rows: Int) -> ParquetRowBatch {
    var ids = ParquetStrings()
    var tokens = [Int32]()
    tokens.reserveCapacity(rows * tokensPerRow)
    var offsets = [0]
    offsets.reserveCapacity(rows + 1)
    var metadata = labels.map { _ in ParquetStrings() }
    for row in startRow..<(startRow + rows) {
        ids.append("cell_\(String(repeating: "0", count: max(0, 7 - String(row).count)))\(row)")
        let base = UInt64(row * tokensPerRow)
        for position in 0..<UInt64(tokensPerRow) { tokens.append(token(base + position)) }
        offsets.append(tokens.count)
        for (column, (_, values)) in labels.enumerated() {
            metadata[column].append(values[(row * (column + 3) + row / 7) % values.count])
        }
    }
    let lengths = [Int32](repeating: Int32(tokensPerRow), count: rows)
    return ParquetRowBatch(
        [ParquetColumnData(.string(ids)), ParquetColumnData(lists: .int32(tokens), offsets: offsets), ParquetColumnData(.int32(lengths))]
            + metadata.map { ParquetColumnData(.string($0)) })
}

let schema = ParquetSchema(
    [.scalar("cell_id", .string), .list("input_ids", of: .int32), .scalar("length", .int32)]
        + labels.map { ParquetColumn.scalar($0.0, .string) })

func seconds(_ start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: sluice-bench-parquet write PATH [ROWS] [ZSTD_LEVEL] | read PATH\n".utf8))
    exit(2)
}
let path = arguments[2]
do {
    switch arguments[1] {
    case "write":
        let rows = arguments.count > 3 ? Int(arguments[3])! : 100_000
        let options = ParquetWriterOptions(compression: .zstd, zstdLevel: arguments.count > 4 ? Int32(arguments[4])! : 3)
        let batches = stride(from: 0, to: rows, by: batchRows).map { batch(startRow: $0, rows: min(batchRows, rows - $0)) }
        let start = ContinuousClock.now
        let writer = try ParquetWriter(path: path, schema: schema, options: options)
        for batch in batches { try writer.write(batch) }
        try writer.close()
        let elapsed = seconds(start)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        print("write \(elapsed) \(size)")
    case "read":
        let start = ContinuousClock.now
        let reader = try ParquetReader(path: path)
        var rows = 0
        var checksum: Int64 = 0
        for group in 0..<reader.rowGroupCount {
            let batch = try reader.readRowGroup(group)
            rows += batch.rowCount
            if case .int32(let tokens) = batch.columns[1].values, let last = tokens.last { checksum &+= Int64(last) }
        }
        let elapsed = seconds(start)
        print("read \(elapsed) \(rows) \(checksum)")
    default:
        FileHandle.standardError.write(Data("unknown mode \(arguments[1])\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("sluice-bench-parquet: \(error)\n".utf8))
    exit(1)
}
