/// Where a label sorts among its column's labels, so groups come out in a stable, meaningful
/// order whatever the chunk size: categories in the file's category order (as scanpy's
/// `aggregate` orders them), hierarchy labels in the hierarchy's row order, numbers by value,
/// text by its characters. Cases sort in the order declared.
enum LabelOrder: Comparable, Hashable, Sendable, Codable {
    case position(Int)
    case number(Double)
    case text(String)
}
