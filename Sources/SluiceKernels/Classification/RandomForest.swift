import SluiceFormats

/// A random forest of classification trees, built as scikit-learn's
/// `RandomForestClassifier(n_estimators, max_features="sqrt")` builds its trees — each on a
/// bootstrap sample of the rows, split greedily by the Gini impurity over √p features drawn at
/// each node (more while none splits it), grown until leaves are pure (or hold one distinct
/// row), thresholds halfway
/// between neighbouring values — driven by ``SeededGenerator`` from `seed`, so one seed gives one
/// forest. The trees differ from scikit-learn's (its random streams are NumPy's); the
/// predictions and importances agree in distribution, which is what is compared.
public struct RandomForest: Sendable {
    /// A node: a split (feature, threshold, children) or a leaf (the share of class true).
    struct Node: Sendable {
        var feature = -1
        var threshold = 0.0
        var left = -1
        var right = -1
        var probability = 0.0
    }

    private var trees: [[Node]] = []
    /// The mean decrease in Gini impurity each feature brought, per tree normalised to sum 1,
    /// averaged over the trees that split (scikit-learn's `feature_importances_`; all 0 if none did).
    public private(set) var importances: [Double]

    /// Grows `trees` trees on `x` (rows × p features, row-major) and `y` (a label per row of
    /// `x`) — all rows, or only those in `rows` (a fold's training rows, in place). Each tree's
    /// bootstrap draws `samplesPerTree` rows (scikit-learn's `max_samples`; nil: as many as there
    /// are rows), which bounds a tree's work on a million rows.
    public init(x: [Double], y: [Bool], features p: Int, trees count: Int = 100, seed: UInt64 = 0, rows: [Int]? = nil, samplesPerTree: Int? = nil) {
        let n = rows?.count ?? y.count
        let draws = samplesPerTree.map { max(1, min($0, n)) } ?? n
        var generator = SeededGenerator(seed: seed)
        var total = [Double](repeating: 0, count: p)
        let tries = max(1, Int(Double(p).squareRoot()))
        for _ in 0..<count {
            // Bootstrap: each row's multiplicity (indexed by its row of x).
            var weight = [Double](repeating: 0, count: y.count)
            for _ in 0..<draws {
                let position = Int(generator.next() % UInt64(n))
                weight[rows?[position] ?? position] += 1
            }
            var nodes: [Node] = []
            var decrease = [Double](repeating: 0, count: p)
            var stack: [(rows: [Int], node: Int)] = []
            nodes.append(Node())
            stack.append(((rows ?? Array(0..<n)).filter { weight[$0] > 0 }, 0))
            while let (rows, index) = stack.popLast() {
                let (mass, positive) = rows.reduce((0.0, 0.0)) { ($0.0 + weight[$1], $0.1 + (y[$1] ? weight[$1] : 0)) }
                nodes[index].probability = positive / mass
                guard positive > 0, positive < mass else { continue }
                let parentGini = 1 - (positive / mass) * (positive / mass) - ((mass - positive) / mass) * ((mass - positive) / mass)
                var best: (feature: Int, threshold: Double, score: Double)?
                var candidates = Array(0..<p)
                // √p features, and more while none of them splits the node (as scikit-learn).
                var draw = 0
                while draw < p, draw < tries || best == nil {
                    defer { draw += 1 }
                    candidates.swapAt(draw, draw + Int(generator.next() % UInt64(p - draw)))
                    let feature = candidates[draw]
                    let sorted = rows.sorted { x[$0 * p + feature] < x[$1 * p + feature] }
                    var (leftMass, leftPositive) = (0.0, 0.0)
                    for position in 0..<(sorted.count - 1) {
                        let row = sorted[position]
                        leftMass += weight[row]
                        if y[row] { leftPositive += weight[row] }
                        let (value, next) = (x[row * p + feature], x[sorted[position + 1] * p + feature])
                        guard value < next else { continue }
                        let (rightMass, rightPositive) = (mass - leftMass, positive - leftPositive)
                        // The children's weighted Gini impurity (lower is better).
                        let score =
                            leftMass * (1 - pow2(leftPositive / leftMass) - pow2(1 - leftPositive / leftMass))
                            + rightMass * (1 - pow2(rightPositive / rightMass) - pow2(1 - rightPositive / rightMass))
                        if best == nil || score < best!.score { best = (feature, value / 2 + next / 2, score) }
                    }
                }
                guard let best else { continue }
                decrease[best.feature] += mass * parentGini - best.score
                let left = rows.filter { x[$0 * p + best.feature] <= best.threshold }
                let right = rows.filter { x[$0 * p + best.feature] > best.threshold }
                nodes[index].feature = best.feature
                nodes[index].threshold = best.threshold
                nodes[index].left = nodes.count
                nodes.append(Node())
                nodes[index].right = nodes.count
                nodes.append(Node())
                stack.append((left, nodes[index].left))
                stack.append((right, nodes[index].right))
            }
            // As scikit-learn: a tree that never split (a pure bootstrap sample) has no
            // importances and is left out of their mean, which is then normalised to sum 1.
            let sum = decrease.reduce(0, +)
            if sum > 0 { for feature in 0..<p { total[feature] += decrease[feature] / sum } }
            trees.append(nodes)
        }
        let grand = total.reduce(0, +)
        importances = total.map { grand > 0 ? $0 / grand : 0 }
    }

    /// P(class true) of each row of `x` (n × p, row-major), or of the rows in `rows`: the trees'
    /// leaf shares, averaged.
    public func probabilities(_ x: [Double], features p: Int, rows: [Int]? = nil) -> [Double] {
        (rows.map { $0.map { $0 * p } } ?? Array(stride(from: 0, to: x.count, by: max(1, p)))).map { base in
            var sum = 0.0
            for nodes in trees {
                var index = 0
                while nodes[index].feature >= 0 {
                    index = x[base + nodes[index].feature] <= nodes[index].threshold ? nodes[index].left : nodes[index].right
                }
                sum += nodes[index].probability
            }
            return sum / Double(max(1, trees.count))
        }
    }
}

@inline(__always) private func pow2(_ value: Double) -> Double { value * value }
