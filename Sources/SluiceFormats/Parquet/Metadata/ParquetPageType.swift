/// The kind of a page (the `PageType` enum of parquet.thrift).
enum ParquetPageType: Int32, Sendable {
    case dataPage = 0
    case indexPage = 1
    case dictionaryPage = 2
    case dataPageV2 = 3
}
