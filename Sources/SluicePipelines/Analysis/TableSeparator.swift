/// How a text table's fields are separated: tabs (one tab, one boundary; empty fields allowed),
/// or runs of spaces and tabs, as R's `write.table` and SecAct's example files have them (read
/// with R's `read.table` and pandas' `sep=r"\s+"`: leading and trailing blanks ignored).
enum TableSeparator: Sendable {
    case tab
    case whitespace

    /// Tabs when the header line has one, else runs of blanks.
    init(header: some Collection<UInt8>) {
        self = header.contains(0x09) ? .tab : .whitespace
    }

    /// The byte ranges of the fields of `line` (without a final `\r`), appended to `fields`.
    func fields(of line: UnsafeBufferPointer<UInt8>, into fields: inout [Range<Int>]) {
        fields.removeAll(keepingCapacity: true)
        var end = line.count
        if end > 0, line[end - 1] == 0x0D { end -= 1 }
        switch self {
        case .tab:
            var start = 0
            for index in 0..<end where line[index] == 0x09 {
                fields.append(start..<index)
                start = index + 1
            }
            fields.append(start..<end)
        case .whitespace:
            var index = 0
            while index < end {
                while index < end, Self.isBlank(line[index]) { index += 1 }
                guard index < end else { break }
                let start = index
                while index < end, !Self.isBlank(line[index]) { index += 1 }
                fields.append(start..<index)
            }
        }
    }

    /// The fields of a line of text.
    func fields(of line: String) -> [String] {
        var ranges: [Range<Int>] = []
        return Array(line.utf8).withUnsafeBufferPointer { buffer in
            fields(of: buffer, into: &ranges)
            return ranges.map { String(decoding: UnsafeBufferPointer(rebasing: buffer[$0]), as: UTF8.self) }
        }
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
}
