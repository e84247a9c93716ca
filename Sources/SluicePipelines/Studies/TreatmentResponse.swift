import SluiceFormats
public import SluiceKernels

/// `sluice analyze response`: how well activities predict a binary outcome (responders and
/// non-responders to a treatment, tumour and normal): an L2 logistic regression
/// (``LogisticRegression``, scikit-learn's `LogisticRegression(C=C)`), its cross-validated AUC,
/// and each feature's importance, |wⱼ| / Σ|w| of the fit on every sample.
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
        public var importance: Double
    }

    public struct Fold: Sendable, Equatable {
        public var fold, train, test: Int
        public var auc: Double
    }

    public struct Prediction: Sendable, Equatable {
        public var sample: String
        public var positive: Bool
        public var fold: Int
        public var probability: Double
    }

    public struct Result: Sendable {
        public var positiveClass: String
        public var intercept: Double
        public var coefficients: [Coefficient]
        public var folds: [Fold]
        public var predictions: [Prediction]
        /// The mean of the folds' defined AUCs.
        public var meanAUC: Double
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
            let model = try LogisticRegression(x: train.flatMap { x[($0 * p)..<(($0 + 1) * p)] }, y: train.map { y[$0] }, features: p, c: c)
            let probabilities = model.probabilities(test.flatMap { x[($0 * p)..<(($0 + 1) * p)] })
            for (position, row) in test.enumerated() {
                predictions[row] = Prediction(sample: features.columns[samples[row]], positive: y[row], fold: f, probability: probabilities[position])
            }
            let auc = MannWhitney.test(
                test.indices.filter { y[test[$0]] }.map { probabilities[$0] }, test.indices.filter { !y[test[$0]] }.map { probabilities[$0] }
            ).auc
            foldRows.append(Fold(fold: f, train: train.count, test: test.count, auc: auc))
        }
        let model = try LogisticRegression(x: x, y: y, features: p, c: c)
        let total = model.weights.reduce(0) { $0 + abs($1) }
        let coefficients = features.rows.enumerated().map { index, name in
            Coefficient(feature: name, coefficient: model.weights[index], importance: total > 0 ? abs(model.weights[index]) / total : .nan)
        }
        let defined = foldRows.map(\.auc).filter { !$0.isNaN }
        return Result(
            positiveClass: positiveClass, intercept: model.intercept, coefficients: coefficients, folds: foldRows,
            predictions: predictions.compactMap { $0 }, meanAUC: defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count))
    }

    /// Each sample's fold: the positives, then the negatives, shuffled by one seeded generator.
    static func stratifiedFolds(_ y: [Bool], folds k: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        var fold = [Int](repeating: 0, count: y.count)
        for wanted in [true, false] {
            var members = y.indices.filter { y[$0] == wanted }
            if members.count > 1 {
                for i in stride(from: members.count - 1, to: 0, by: -1) { members.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
            }
            for (position, sample) in members.enumerated() { fold[sample] = position % k }
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
                columns: [("feature", .string(\.feature)), ("coefficient", .double(\.coefficient)), ("importance", .double(\.importance))]),
            ResultTable(
                name: "folds", rows: folds,
                columns: [("fold", .integer(\.fold)), ("train", .integer(\.train)), ("test", .integer(\.test)), ("auc", .double(\.auc))]),
            ResultTable(
                name: "predictions", rows: predictions,
                columns: [
                    ("sample", .string(\.sample)), ("positive", .integer { $0.positive ? 1 : 0 }), ("fold", .integer(\.fold)),
                    ("probability", .double(\.probability)),
                ]),
        ]
    }
}
