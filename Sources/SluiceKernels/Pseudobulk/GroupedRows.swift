/// A chunk's rows reordered so that each group's rows come together, in their original order.
///
/// Every group's accumulators are a dense row (tens to hundreds of KB); taking a chunk's cells in
/// file order jumps between groups at each cell, so nearly every stored value misses the cache
/// (measured: about 15 ns a value on 640 groups × 20,000 genes). Taking a group's cells together
/// reuses its row while it is cached. The order within a group is kept, so every sum is added up in
/// exactly the same order as before — results are bit-for-bit the same.
enum GroupedRows {
    /// The rows whose group is ≥ 0, ordered by group (a stable counting sort).
    static func order(_ groups: [Int32], groupCount: Int) -> [Int] {
        var starts = [Int](repeating: 0, count: groupCount + 1)
        for g in groups where g >= 0 { starts[Int(g) + 1] += 1 }
        for g in 0..<groupCount { starts[g + 1] += starts[g] }
        var order = [Int](repeating: 0, count: starts[groupCount])
        for (row, g) in groups.enumerated() where g >= 0 {
            order[starts[Int(g)]] = row
            starts[Int(g)] += 1
        }
        return order
    }
}
