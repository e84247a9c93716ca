/// SecAct's permutations: one array of gene positions shuffled again and again (each
/// permutation continues from the previous one), with the bounded-integer formula of R SecAct's
/// C code, `j = i + r / (RAND_MAX / (n − i) + 1)`.
public struct CumulativeShuffle<Random: PermutationRandom> {
    private var random: Random
    /// The current permutation of `0..<n`.
    public private(set) var order: [Int32]

    /// Starts from the order `0..<count`, drawing from `random`.
    public init(count: Int, random: Random) {
        self.random = random
        order = (0..<Int32(count)).map { $0 }
    }

    /// Shuffles the current order once more and returns it.
    public mutating func next() -> [Int32] {
        let n = order.count
        let maximum = UInt64(random.maximum)
        order.withUnsafeMutableBufferPointer { order in
            for i in 0..<max(0, n - 1) {
                let k = UInt64(n - i)
                let j = i + Int(UInt64(random.next()) / (maximum / k + 1))
                order.swapAt(i, j)
            }
        }
        return order
    }
}
