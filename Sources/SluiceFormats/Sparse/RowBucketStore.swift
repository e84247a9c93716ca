import Foundation

/// An external (disk-backed) sort of matrix entries by row, for inputs stored column-major or
/// in no order at all (CSC h5ad, Matrix Market).
///
/// Entries are appended in any order and written to one scratch file per block of
/// `rowsPerBucket` rows; reading a row range loads only the buckets that overlap it and
/// counting-sorts their entries into CSR. Disk use is 12 bytes per stored entry (row, column,
/// value as 32-bit numbers); memory is one small buffer per bucket while appending and one
/// bucket's entries while reading. The scratch folder is deleted when the store goes away.
final class RowBucketStore {
    let rowCount: Int
    let columnCount: Int
    let rowsPerBucket: Int
    /// The scratch folder holding the bucket files.
    let directory: URL
    /// Bytes written to the scratch folder.
    private(set) var bytesOnDisk = 0

    private struct Entry {
        var row: Int32
        var column: Int32
        var value: Float
    }

    private var buffers: [[Entry]]
    private let flushThreshold: Int

    /// Creates the scratch folder inside `parent` (the system temporary folder when `nil`).
    init(rowCount: Int, columnCount: Int, rowsPerBucket: Int = 4096, parent: URL?, flushThreshold: Int = 8192) throws {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowsPerBucket = max(1, rowsPerBucket)
        self.flushThreshold = flushThreshold
        let base = parent ?? FileManager.default.temporaryDirectory
        directory = base.appendingPathComponent("sluice-rows-\(UUID().uuidString)", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw FormatError(.ioFailure, path: directory.path, "cannot create a scratch folder for sorting entries by cell: \(error.localizedDescription)")
        }
        let bucketCount = (rowCount + self.rowsPerBucket - 1) / self.rowsPerBucket
        buffers = Array(repeating: [], count: bucketCount)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Adds one entry (`row` and `column` must already be validated).
    func append(row: Int, column: Int, value: Float) throws {
        let bucket = row / rowsPerBucket
        buffers[bucket].append(Entry(row: Int32(row), column: Int32(column), value: value))
        if buffers[bucket].count >= flushThreshold { try flush(bucket) }
    }

    /// Writes every buffered entry to disk; call once after the last ``append(row:column:value:)``.
    func finish() throws {
        for bucket in buffers.indices where !buffers[bucket].isEmpty { try flush(bucket) }
        buffers = buffers.map { _ in [] }
    }

    private func bucketURL(_ bucket: Int) -> URL {
        directory.appendingPathComponent(String(format: "bucket_%06d.bin", bucket))
    }

    private func flush(_ bucket: Int) throws {
        let url = bucketURL(bucket)
        let bytes = buffers[bucket].withUnsafeBytes { Data($0) }
        do {
            if !FileManager.default.fileExists(atPath: url.path) {
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: bytes)
        } catch {
            throw FormatError(.ioFailure, path: url.path, "cannot write scratch data (is the disk full?): \(error.localizedDescription)")
        }
        bytesOnDisk += bytes.count
        buffers[bucket].removeAll(keepingCapacity: true)
    }

    /// Reads rows `rows` as CSR, columns ascending within each row, duplicates summed.
    func read(rows: Range<Int>) throws -> SparseRows {
        guard !rows.isEmpty else { return SparseRows(columnCount: columnCount) }
        var counts = [Int64](repeating: 0, count: rows.count + 1)
        var loaded: [[Entry]] = []
        for bucket in (rows.lowerBound / rowsPerBucket)...((rows.upperBound - 1) / rowsPerBucket) {
            let url = bucketURL(bucket)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw FormatError(.ioFailure, path: url.path, "cannot read scratch data: \(error.localizedDescription)")
            }
            let entries = data.withUnsafeBytes { raw in
                Array(raw.bindMemory(to: Entry.self)).filter { rows.contains(Int($0.row)) }
            }
            for entry in entries { counts[Int(entry.row) - rows.lowerBound + 1] += 1 }
            loaded.append(entries)
        }
        for i in 1..<counts.count { counts[i] += counts[i - 1] }
        let total = Int(counts.last!)
        var columns = [Int32](repeating: 0, count: total)
        var values = [Float](repeating: 0, count: total)
        var cursor = counts
        for entries in loaded {
            for entry in entries {
                let slot = Int(cursor[Int(entry.row) - rows.lowerBound])
                columns[slot] = entry.column
                values[slot] = entry.value
                cursor[Int(entry.row) - rows.lowerBound] += 1
            }
        }
        var block = SparseRows(offsets: counts, columns: columns, values: values, columnCount: columnCount)
        block.sortColumnsWithinRows()
        return block
    }
}
