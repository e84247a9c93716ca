/// A column chunk's dictionary: its PLAIN-encoded entries and each value's index into them.
struct DictionaryEncoding {
    /// The dictionary page body: the distinct values, PLAIN-encoded, in first-seen order.
    var plainEntries: [UInt8]
    /// The number of distinct values.
    var count: Int
    /// One index per (non-null) value.
    var indices: [UInt32]

    /// Bits per index in data pages (at least 1, which every reader accepts).
    var bitWidth: Int { Swift.max(1, RLEHybridEncoder.bitWidth(forMaximum: UInt64(Swift.max(count - 1, 0)))) }

    /// Whether a dictionary with `distinct` entries after `seen` values is still worth building.
    ///
    /// Dictionaries pay off for low-cardinality data (categories, labels). When, after the first
    /// 32 Ki values, more than half of them are distinct (token ids, cell barcodes), the indices
    /// compress worse than the PLAIN values would and the hashing costs time, so the chunk falls
    /// back to PLAIN right away instead of after filling a 1 MiB dictionary, as pyarrow does.
    static func isWorthKeeping(distinct: Int, seen: Int) -> Bool {
        seen < 32_768 || distinct * 2 <= seen
    }
}
