import Foundation
import SluiceFormats
import Synchronization

/// Data lines of a numeric table (row name, then numbers), gathered as bytes and
/// parsed on every core: number parsing (`strtod`) is most of the time of reading a large
/// expression table, and lines are independent.
struct TableLineBatch {
    private var bytes: [UInt8] = []
    /// Where each line starts in `bytes`; line `i` ends where line `i + 1` starts.
    private var starts: [Int] = []
    /// Each line's number in the file (1-based), for error messages.
    private var numbers: [Int] = []

    var byteCount: Int { bytes.count }
    var isEmpty: Bool { starts.isEmpty }

    mutating func append(_ line: UnsafeBufferPointer<UInt8>, number: Int) {
        starts.append(bytes.count)
        numbers.append(number)
        bytes.append(contentsOf: line)
    }

    /// Row names and values (row-major, `valueColumns` per row), in line order, of the lines
    /// whose name `keep` accepts (all when nil). The first error, by line, is thrown.
    func parse(
        valueColumns: Int, separator: TableSeparator, lenient: Bool, path: String, keep: (@Sendable (String) -> Bool)? = nil
    ) throws -> (rows: [String], values: [Double]) {
        let lines = starts.count
        // As many workers as the bytes call for, not the lines: a wide table's lines are long
        // (10,000 samples: ~190 kB each), so a 16 MB batch holds only ~80 of them.
        let workers = max(1, min(ParallelFor.cores, lines, bytes.count >> 18))
        let parts = Mutex<[Int: Result<(rows: [String], values: [Double]), any Error>]>([:])
        let batch = self
        // Every worker runs, even on no lines (an empty batch), so each leaves a result to join.
        ParallelFor.run(parts: workers) { worker in
            let range = ParallelFor.range(worker, of: lines, parts: workers)
            let outcome = Result { () throws -> (rows: [String], values: [Double]) in
                var parser = Parser(valueColumns: valueColumns, separator: separator, lenient: lenient, path: path, keep: keep)
                parser.values.reserveCapacity(range.count * valueColumns)
                try batch.bytes.withUnsafeBufferPointer { text in
                    for line in range {
                        let end = line + 1 < lines ? batch.starts[line + 1] : text.count
                        try parser.parse(UnsafeBufferPointer(rebasing: text[batch.starts[line]..<end]), number: batch.numbers[line])
                    }
                }
                return (parser.rows, parser.values)
            }
            parts.withLock { $0[worker] = outcome }
        }
        let results = parts.withLock { $0 }
        var rows: [String] = []
        var values: [Double] = []
        values.reserveCapacity(lines * valueColumns)
        for worker in 0..<workers {
            let part = try results[worker]!.get()
            rows += part.rows
            values += part.values
        }
        return (rows, values)
    }

    /// Splits one line into its fields and reads its numbers.
    private struct Parser {
        let valueColumns: Int
        let separator: TableSeparator
        let lenient: Bool
        let path: String
        let keep: (@Sendable (String) -> Bool)?
        var rows: [String] = []
        var values: [Double] = []
        private var fields: [Range<Int>] = []
        private var scratch = [CChar](repeating: 0, count: 64)

        init(valueColumns: Int, separator: TableSeparator, lenient: Bool, path: String, keep: (@Sendable (String) -> Bool)?) {
            self.valueColumns = valueColumns
            self.separator = separator
            self.lenient = lenient
            self.path = path
            self.keep = keep
        }

        mutating func parse(_ line: UnsafeBufferPointer<UInt8>, number: Int) throws {
            separator.fields(of: line, into: &fields)
            let count = fields.count
            if count == 0 { return }  // a blank line of a blank-separated table
            guard count == valueColumns + 1 else {
                throw AnalysisError(code: "table.shape", "\(path), line \(number): \(count) fields where \(valueColumns + 1) were expected")
            }
            let name = MatrixTable.unquoted(String(decoding: UnsafeBufferPointer(rebasing: line[fields[0]]), as: UTF8.self))
            if let keep, !keep(name) { return }
            rows.append(name)
            for field in 1..<count {
                let (start, end) = (fields[field].lowerBound, fields[field].upperBound)
                if let value = decimal(line, start, end) {
                    values.append(value)
                    continue
                }
                let text = MatrixTable.unquoted(String(decoding: UnsafeBufferPointer(rebasing: line[start..<end]), as: UTF8.self))
                if let value = Double(text) {
                    values.append(value)
                } else if lenient || ["", "NA", "NaN", "nan"].contains(text) {
                    values.append(.nan)
                } else {
                    throw AnalysisError(code: "table.number", "\(path), line \(number): '\(text)' is not a number")
                }
            }
        }

        /// The plain decimal number in `line[start..<end]`, correctly rounded (`DecimalText`, or
        /// `strtod` for what it declines), or `nil` when the field holds anything else (the caller
        /// then tries Swift's parser and the missing-value words).
        private mutating func decimal(_ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
            if let value = DecimalText.parse(UnsafeBufferPointer(rebasing: line[start..<end])) { return value }
            let length = end - start
            guard length > 0, length < scratch.count else { return nil }
            return scratch.withUnsafeMutableBufferPointer { buffer -> Double? in
                for offset in 0..<length {
                    let byte = line[start + offset]
                    // Digits, sign, point, exponent: nothing else for strtod to interpret (spaces, hex, words).
                    guard (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x2B || byte == 0x2E || byte == 0x65 || byte == 0x45 else {
                        return nil
                    }
                    buffer[offset] = CChar(bitPattern: byte)
                }
                buffer[length] = 0
                var stop: UnsafeMutablePointer<CChar>?
                let value = strtod(buffer.baseAddress!, &stop)
                return stop == buffer.baseAddress! + length ? value : nil
            }
        }
    }
}
