/// Deterministic train/test assignment: a cell (or a donor, with `--split-by`) goes to the test
/// split when a hash of the dataset name, its key and the seed falls below `testSize`.
///
/// The hash is FNV-1a (64-bit) over `dataset ␟ key ␟ seed`, finished with the SplitMix64 mixer,
/// then scaled to [0, 1). It depends on nothing else, so changing `--chunk-size` or the order
/// of files never moves a cell between splits.
public struct SplitAssigner: Sendable {
    public let dataset: String
    public let seed: UInt64
    public let testSize: Double

    public init(dataset: String, seed: UInt64, testSize: Double) {
        self.dataset = dataset
        self.seed = seed
        self.testSize = testSize
    }

    /// Whether `key` (a cell id or a group value) belongs to the test split.
    public func isTest(_ key: String) -> Bool {
        fraction(key) < testSize
    }

    /// The key's position in [0, 1).
    public func fraction(_ key: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array(dataset.utf8) + [0x1F] + Array(key.utf8) + [0x1F] + Array(String(seed).utf8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 30
        hash = hash &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 27
        hash = hash &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 31
        return Double(hash >> 11) * 0x1.0p-53
    }
}
