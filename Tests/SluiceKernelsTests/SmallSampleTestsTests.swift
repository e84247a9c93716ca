import SluiceKernels
import Testing

/// The tests of few samples against scipy 1.13's values (printed by scipy.stats with its
/// defaults on these inputs; the sample-level fixtures check them on real data).
@Suite("small-sample tests equal scipy")
struct SmallSampleTestsTests {
    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * abs(b) }

    @Test("mannwhitneyu chooses the exact distribution for ≤ 8 values without ties")
    func mannWhitneyExact() {
        let small = MannWhitney.test([1.5, 3.2, 0.7], [2.1, 4.4, 5.0, 6.1, 0.2], method: .auto)
        #expect(small.u == 4 && Self.close(small.pvalue, 0.39285714285714285))
        let x = [2.040919, -2.555665, 0.418099, -0.56777, -0.452649, -0.215597, -2.019986, -0.231932]
        let y = [
            -0.065213, 4.123, 1.025787, 0.447369, 0.518713, 0.131954, -0.255151, 0.409199, 1.281945, 0.561446, 1.757759, 0.600198, 0.82426, 2.345821,
            1.345106, 0.294771, 0.617161, 1.340525, 2.735088, 0.53038, 0.556441, 1.802314, -0.08646, 0.50828, 1.682539, 1.38035, 0.891517, 1.470104,
            -2.028162, 1.821307,
        ]
        let unequal = MannWhitney.test(x, y, method: .auto)
        #expect(unequal.u == 41 && Self.close(unequal.pvalue, 0.003421514357297839))
        #expect(Self.close(MannWhitney.test([1, 2], [3], method: .auto).pvalue, 0.6666666666666666))
        // The asymptotic test differs, so the choice is visible.
        #expect(!Self.close(MannWhitney.test(x, y).pvalue, 0.003421514357297839))
        // The survival function sums to one over the whole range and is symmetric.
        #expect(MannWhitney.exactSurvival(0, 5, 7) == 1 && MannWhitney.exactSurvival(36, 5, 7) == 0)
        #expect(Self.close(MannWhitney.exactSurvival(35, 5, 7), 1 / 792))
    }

    @Test("wilcoxon: exact without zeros (ties truncate R+), the normal approximation with a zero")
    func signedRank() {
        let u = [0.5, 1.2, -0.3, 2.2, 1.1, 0.9, -1.4, 3.0, 0.25, 1.7]
        let v = [0.1, 0.2, 0.4, 1.0, 0.3, 0.2, 0.5, 0.1, 0.6, 0.0]
        let exact = SignedRank.test(u, v)
        #expect(exact.statistic == 13.5 && Self.close(exact.pvalue, 0.193359375))
        let tied = SignedRank.test([1, 2, 3, 4, 5, 6], [0, 0, 1, 5, 4, 7])
        #expect(tied.statistic == 5 && Self.close(tied.pvalue, 0.3125))
        let zero = SignedRank.test([1, 2, 3, 4, 5, 6, 7], [1, 0, 1, 5, 4, 2, 9])
        #expect(zero.statistic == 5.5 && zero.nonZero == 6 && Self.close(zero.pvalue, 0.2877873901541501))
        #expect(SignedRank.test([1, .nan], [0, 0]).pvalue.isNaN)
        #expect(SignedRank.test([], []).pvalue.isNaN)
    }

    @Test("ttest_rel and Welch's ttest_ind")
    func tTests() {
        let u = [0.5, 1.2, -0.3, 2.2, 1.1, 0.9, -1.4, 3.0, 0.25, 1.7]
        let v = [0.1, 0.2, 0.4, 1.0, 0.3, 0.2, 0.5, 0.1, 0.6, 0.0]
        let paired = TTest.paired(u, v)
        #expect(Self.close(paired.statistic, 1.366028672499625) && abs(paired.pvalue - 0.20508819225770802) <= 1e-10)
        let welch = TTest.welch(u, v)
        #expect(Self.close(welch.statistic, 1.4091966246351952) && abs(welch.pvalue - 0.18905583008186835) <= 1e-10)
        #expect(TTest.welch([1], [2, 3]).pvalue.isNaN)
        #expect(TTest.paired([1, 2], [0, 1]).pvalue == 0)  // constant differences: t infinite
    }

    @Test("the normal upper quantile equals scipy's norm.isf, deep in the tail too")
    func upperQuantile() {
        let reference: [(Double, Double)] = [
            (1e-300, 37.0470962993612), (1e-10, 6.361340902404056), (0.025, 1.9599639845400545), (0.3, 0.5244005127080409), (0.5, 0),
            (0.9, -1.2815515655446004), (0.999999, -4.753424308817087),
        ]
        for (q, z) in reference {
            #expect(abs(NormalDistribution.upperQuantile(q) - z) <= 1e-13 * max(1, abs(z)), "q = \(q)")
        }
        #expect(NormalDistribution.upperQuantile(0) == .infinity && NormalDistribution.upperQuantile(1) == -.infinity)
        #expect(NormalDistribution.upperQuantile(.nan).isNaN)
    }
}
