import Foundation
import SluiceKernels
import SluiceTestSupport
import Testing

/// Correlations and Benjamini–Hochberg q-values equal scipy's (scripts/reference/make_correlation_reference.py).
@Suite struct CorrelationTests {
    static func rows(_ name: String) throws -> [[String]] {
        let text = try String(contentsOfFile: Fixtures.directory + "/correlation/" + name, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
        abs(a - b) <= tolerance * max(1, abs(b))
    }

    @Test func matchesScipy() throws {
        let data = try Self.rows("data.tsv").map { $0.map { Double($0) ?? .nan } }
        let column = { (index: Int) in data.map { $0[index] } }
        let (x, y, z, w) = (column(0), column(1), column(2), column(3))
        let expected = Dictionary(uniqueKeysWithValues: try Self.rows("expected.tsv").map { ($0[0], (Double($0[1])!, Double($0[2])!, Int($0[3])!)) })
        let cases: [(String, Correlation.Estimate)] = [
            ("pearson_x_y", Correlation.pearson(x, y)), ("spearman_x_y", Correlation.spearman(x, y)),
            ("pearson_x_z", Correlation.pearson(x, z)), ("spearman_x_z", Correlation.spearman(x, z)),
            ("partial_x_y_given_w", Correlation.partial(x, y, controls: [w])),
        ]
        for (name, estimate) in cases {
            let reference = try #require(expected[name])
            #expect(Self.close(estimate.r, reference.0), "\(name) r")
            #expect(Self.close(estimate.pvalue, reference.1, 1e-7), "\(name) p")
            #expect(estimate.n == reference.2, "\(name) n")
        }
    }

    @Test func benjaminiHochbergMatchesScipy() throws {
        // scipy's false_discovery_control on the defined p-values (the NaN row is left out).
        let rows = try Self.rows("bh.tsv").map { $0.map { Double($0) ?? .nan } }.filter { !$0[0].isNaN }
        let q = FalseDiscoveryRate.benjaminiHochberg(rows.map { $0[0] })
        for (ours, row) in zip(q, rows) { #expect(Self.close(ours, row[1], 1e-12)) }
    }

    @Test func ranksAverageTies() {
        #expect(Correlation.ranks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        #expect(Correlation.pearson([1, 1, 1], [1, 2, 3]).r.isNaN)
    }
}
