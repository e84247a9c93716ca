/// A source of raw random integers for SecAct's permutation shuffle: `next()` in `0...maximum`.
public protocol PermutationRandom {
    /// The largest value `next()` returns (C's `RAND_MAX`).
    var maximum: UInt32 { get }
    /// The next value, in `0...maximum`.
    mutating func next() -> UInt32
}
