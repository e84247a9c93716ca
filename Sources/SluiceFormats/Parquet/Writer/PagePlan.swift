/// The rows of one data page and the non-null values and level entries they cover.
struct PagePlan: Sendable {
    /// Rows of the column chunk in this page (pages always start and end at row boundaries).
    var rows: Range<Int>
    /// Indices of the page's non-null values among the chunk's non-null values.
    var values: Range<Int>
    /// Level entries in the page: one per row, except that a list of n > 0 elements has n.
    var levelCount: Int
}
