/// How specific each signature's activity is to one organ (or cell type, or condition): the tau
/// index of Yanai et al. (2005, Bioinformatics 21:650), τ = Σᵢ (1 − x̂ᵢ) / (n − 1) with
/// x̂ᵢ = xᵢ / maxⱼ xⱼ over the n columns — 0 when the activity is the same everywhere, 1 when it
/// is all in one column. Tau needs values ≥ 0, and activities are z-scores: each row is first
/// shifted by its minimum (x − min x), so the least active column counts as 0. Columns with a
/// missing value are left out; τ is undefined for a constant row or fewer than two columns.
public enum SignatureSpecificity {
    public struct Row: Sendable, Equatable {
        public var signature: String
        public var columns: Int
        public var tau: Double
        /// The most active column and its activity.
        public var top: String
        public var topActivity: Double
    }

    /// One row per signature of `activity` (signatures × columns).
    public static func compute(_ activity: LabeledMatrix) -> [Row] {
        activity.rows.enumerated().map { row, signature in
            let present = activity.columns.indices.filter { !activity[row, $0].isNaN }
            let values = present.map { activity[row, $0] }
            guard let low = values.min(), let high = values.max(), let best = present.max(by: { activity[row, $0] < activity[row, $1] }) else {
                return Row(signature: signature, columns: 0, tau: .nan, top: "", topActivity: .nan)
            }
            let range = high - low
            let tau = values.count > 1 && range > 0 ? values.reduce(0) { $0 + (1 - ($1 - low) / range) } / Double(values.count - 1) : .nan
            return Row(signature: signature, columns: values.count, tau: tau, top: activity.columns[best], topActivity: high)
        }
    }

    public static func table(_ rows: [Row]) -> ResultTable {
        ResultTable(
            name: "specificity", rows: rows,
            columns: [
                ("signature", .string(\.signature)), ("columns", .integer(\.columns)), ("tau", .double(\.tau)), ("top", .string(\.top)),
                ("top_activity", .double(\.topActivity)),
            ])
    }
}
