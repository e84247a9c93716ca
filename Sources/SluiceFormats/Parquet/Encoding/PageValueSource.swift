/// The non-null values of one column chunk, able to PLAIN-encode any range of them, compute
/// statistics and try a dictionary. One conforming type per value representation.
protocol PageValueSource {
    /// The number of non-null values.
    var count: Int { get }
    /// The PLAIN-encoded size of values `range`.
    func plainByteCount(_ range: Range<Int>) -> Int
    /// Appends values `range`, PLAIN-encoded, to `body`.
    func appendPlain(_ range: Range<Int>, to body: inout [UInt8])
    /// The PLAIN-encoded minimum and maximum, or `nil` when there is no ordered value.
    func bounds() -> (min: [UInt8], max: [UInt8])?
    /// A dictionary for all values, or `nil` when one would be too large or not pay off.
    func dictionaryEncode(byteLimit: Int) -> DictionaryEncoding?
}
