import SluiceFormats
import Testing

@testable import SluiceKernels

/// `selectNthSmallest` puts the value a full sort would put at rank k there, with nothing larger
/// before it and nothing smaller after it — on random data, many ties, sorted and reversed input.
@Suite("Quickselect of the k-th smallest value")
struct NthSmallestTests {
    @Test("equals the sorted value at every rank and partitions around it", arguments: [1, 2, 17, 18, 100, 1_001])
    func everyRank(count: Int) {
        var random = SeededGenerator(seed: UInt64(count))
        let shapes: [[Double]] = [
            (0..<count).map { _ in Double(random.next() % 1_000_000) / 7 },
            (0..<count).map { _ in Double(random.next() % 3) },
            (0..<count).map(Double.init),
            (0..<count).reversed().map(Double.init),
        ]
        for values in shapes {
            let sorted = values.sorted()
            for k in 0..<count {
                var work = values
                let found = work.withUnsafeMutableBufferPointer { $0.selectNthSmallest(k) }
                #expect(found == sorted[k])
                #expect(work[k] == sorted[k])
                #expect(work[..<k].allSatisfy { $0 <= found } && work[(k + 1)...].allSatisfy { $0 >= found })
                #expect(work.sorted() == sorted)
            }
        }
    }
}
