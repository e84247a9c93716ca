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
    /// Dictionaries pay off whenever values repeat: categories and labels, but also token ids drawn
    /// from a vocabulary of tens of thousands (16-bit indices instead of 32-bit values, which zstd
    /// cannot shrink as much). They do not pay off for values that are nearly all distinct (cell
    /// barcodes, row ids): when, after the first 32 Ki values, more than 90 % are distinct, the
    /// chunk falls back to PLAIN at once instead of hashing until the dictionary fills its byte
    /// limit, which is when pyarrow gives up.
    static func isWorthKeeping(distinct: Int, seen: Int) -> Bool {
        seen < 32_768 || distinct * 10 <= seen * 9
    }
}
