import SluiceFormats
import SluiceKernels

/// `sluice analyze response`: how well activities predict a binary outcome (responders and
/// non-responders to a treatment, tumour and normal): an L2 logistic regression
/// (``LogisticRegression``, scikit-learn's `LogisticRegression(C=C)`) and a random forest
/// (``RandomForest``, `trees` trees; 0 for none), each one's cross-validated AUC, and each
/// feature's importance: the mean of |wⱼ| / Σ|w| of the regression fitted on every sample and the
/// forest's impurity importance (the regression's alone without a forest).
///
/// Folds are stratified and reproducible: each class's samples, in input order, are shuffled by
/// Fisher–Yates driven by ``SeededGenerator`` (SplitMix64) from `seed` (for i from n − 1 down to
/// 1, swap i with `next() % (i + 1)`; the positives first, then the negatives, one generator),
/// and the sample at shuffled position p goes to fold p mod k. A fold's AUC is U / (n₁n₂) of its
/// held-out probabilities (scikit-learn's `roc_auc_score`).
public struct TreatmentResponse {
    public struct Coefficient: Sendable, Equatable {
        public var feature: String
        public var coefficient: Double
        /// |w| / Σ|w|; the forest's impurity importance (NaN without a forest); their mean.
        public var coefficientImportance, forestImportance, importance: Double
    }

    public struct Fold: Sendable, Equatable {
        public var fold, train, test: Int
        public var auc, forestAUC: Double
    }

    public struct Prediction: Sendable, Equatable {
        public var sample: String
        public var positive: Bool
        public var fold: Int
        public var probability, forestProbability: Double
    }

    public struct Result: Sendable {
        public var positiveClass: String
        public var intercept: Double
        public var coefficients: [Coefficient]
        public var folds: [Fold]
        public var predictions: [Prediction]
        /// The means of the folds' defined AUCs.
        public var meanAUC, meanForestAUC: Double
    }

    /// Features (signatures) × samples.
    public var features: LabeledMatrix
    /// Each sample's label; samples without one are left out.
    public var labels: [String: String]
    /// The label of the positive class; nil: with two labels, the second in code-point order.
    public var positive: String?
    public var c = 1.0
    public var folds = 5
    public var seed: UInt64 = 0
    public var trees = 100
    /// Rows each tree's bootstrap draws (scikit-learn's `max_samples`); nil: as many as the fold has.
    public var samplesPerTree: Int?

    public init(features: LabeledMatrix, labels: [String: String]) {
        self.features = features
        self.labels = labels
    }

    public func run() throws -> Result {
        let samples = features.columns.indices.filter { labels[features.columns[$0]] != nil }
        let classes = Set(samples.map { labels[features.columns[$0]]! }).sorted(by: SignatureActivity.precedes)
        guard let positiveClass = positive ?? (classes.count == 2 ? classes[1] : nil) else {
            throw AnalysisError(
                code: "response.classes",
                "the labels have \(classes.count) values (\(AnalysisError.sample(classes))): name the positive one with --positive")
        }
        guard classes.contains(positiveClass) else {
            throw AnalysisError(code: "response.classes", "no sample is labelled '\(positiveClass)' (the labels: \(AnalysisError.sample(classes)))")
        }
        let y = samples.map { labels[features.columns[$0]] == positiveClass }
        let p = features.rows.count
        // Samples × features, row-major.
        var x = [Double](repeating: 0, count: samples.count * p)
        for (row, sample) in samples.enumerated() { for feature in 0..<p { x[row * p + feature] = features[feature, sample] } }
        if let bad = x.firstIndex(where: { !$0.isFinite }) {
            throw AnalysisError(
                code: "response.missing",
                "sample '\(features.columns[samples[bad / p]])' has no finite value of '\(features.rows[bad % p])': give every sample every feature")
        }
        let smaller = min(y.filter { $0 }.count, y.filter { !$0 }.count)
        guard folds >= 2, smaller >= folds else {
            throw AnalysisError(code: "response.folds", "\(folds) folds need at least \(max(2, folds)) samples of each class; the smaller class has \(smaller)")
        }
        let fold = Self.stratifiedFolds(y, folds: folds, seed: seed)
        var foldRows: [Fold] = []
        var predictions = [Prediction?](repeating: nil, count: samples.count)
        for f in 0..<folds {
            let train = y.indices.filter { fold[$0] != f }
            let test = y.indices.filter { fold[$0] == f }
            // Both models read the fold's rows in place.
            let probabilities = try LogisticRegression(x: x, y: y, features: p, c: c, rows: train).probabilities(x, rows: test)
            let forest =
                trees > 0
                ? RandomForest(x: x, y: y, features: p, trees: trees, seed: seed &+ UInt64(f), rows: train, samplesPerTree: samplesPerTree)
                    .probabilities(x, features: p, rows: test)
                : [Double](repeating: .nan, count: test.count)
            for (position, row) in test.enumerated() {
                predictions[row] = Prediction(
                    sample: features.columns[samples[row]], positive: y[row], fold: f, probability: probabilities[position],
                    forestProbability: forest[position])
            }
            let auc = { (scores: [Double]) in
                MannWhitney.test(test.indices.filter { y[test[$0]] }.map { scores[$0] }, test.indices.filter { !y[test[$0]] }.map { scores[$0] }).auc
            }
            foldRows.append(Fold(fold: f, train: train.count, test: test.count, auc: auc(probabilities), forestAUC: trees > 0 ? auc(forest) : .nan))
        }
        let model = try LogisticRegression(x: x, y: y, features: p, c: c)
        let total = model.weights.reduce(0) { $0 + abs($1) }
        let forest =
            trees > 0
            ? RandomForest(x: x, y: y, features: p, trees: trees, seed: seed, samplesPerTree: samplesPerTree).importances
            : [Double](repeating: .nan, count: p)
        let coefficients = features.rows.enumerated().map { index, name in
            let share = total > 0 ? abs(model.weights[index]) / total : .nan
            return Coefficient(
                feature: name, coefficient: model.weights[index], coefficientImportance: share, forestImportance: forest[index],
                importance: trees > 0 ? (share + forest[index]) / 2 : share)
        }
        let mean = { (values: [Double]) -> Double in
            let defined = values.filter { !$0.isNaN }
            return defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
        }
        return Result(
            positiveClass: positiveClass, intercept: model.intercept, coefficients: coefficients, folds: foldRows,
            predictions: predictions.compactMap { $0 }, meanAUC: mean(foldRows.map(\.auc)), meanForestAUC: mean(foldRows.map(\.forestAUC)))
    }

    /// Each sample's fold: the positives, then the negatives, shuffled by one seeded generator.
    static func stratifiedFolds(_ y: [Bool], folds k: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        var fold = [Int](repeating: 0, count: y.count)
        for wanted in [true, false] {
            for (position, sample) in generator.shuffled(y.indices.filter { y[$0] == wanted }).enumerated() { fold[sample] = position % k }
        }
        return fold
    }
}

extension TreatmentResponse.Result {
    /// `coefficients`, `folds` and `predictions`.
    public var tables: [ResultTable] {
        [
            ResultTable(
                name: "coefficients", rows: coefficients,
                columns: [
                    ("feature", .string(\.feature)), ("coefficient", .double(\.coefficient)), ("coefficient_importance", .double(\.coefficientImportance)),
                    ("forest_importance", .double(\.forestImportance)), ("importance", .double(\.importance)),
                ]),
            ResultTable(
                name: "folds", rows: folds,
                columns: [
                    ("fold", .integer(\.fold)), ("train", .integer(\.train)), ("test", .integer(\.test)), ("auc", .double(\.auc)),
                    ("forest_auc", .double(\.forestAUC)),
                ]),
            ResultTable(
                name: "predictions", rows: predictions,
                columns: [
                    ("sample", .string(\.sample)), ("positive", .integer { $0.positive ? 1 : 0 }), ("fold", .integer(\.fold)),
                    ("probability", .double(\.probability)), ("forest_probability", .double(\.forestProbability)),
                ]),
        ]
    }
}
