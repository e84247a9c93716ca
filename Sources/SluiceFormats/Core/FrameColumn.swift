/// One metadata column of a ``Frame``.
public struct FrameColumn: Hashable, Sendable {
    /// The values of a column, by kind.
    public enum Values: Hashable, Sendable {
        case strings([String])
        /// Codes index `categories`; −1 means missing.
        case categorical(codes: [Int32], categories: [String], ordered: Bool)
        case integers([Int64])
        case floats([Double])
        case bools([Bool])
    }

    /// What a column holds, without its values.
    public enum Kind: String, Hashable, Sendable, Codable {
        case string, categorical, integer, float, bool
    }

    /// A column's name, kind and whether it may hold missing values.
    public struct Schema: Hashable, Sendable, Codable {
        /// The column's name.
        public var name: String
        /// What the column holds.
        public var kind: Kind
        /// Whether the column may hold missing values.
        public var nullable: Bool
        /// A schema from its name, kind and nullability.
        public init(name: String, kind: Kind, nullable: Bool) {
            self.name = name
            self.kind = kind
            self.nullable = nullable
        }
    }

    /// The column's name.
    public var name: String
    /// The column's values, one per row.
    public var values: Values
    /// `true` where the value is missing; `nil` for a column that cannot hold missing values.
    /// (Categorical columns mark missing values with code −1 instead.)
    public var missing: [Bool]?

    /// A column named `name` holding `values`, with an optional missing-value mask.
    public init(name: String, values: Values, missing: [Bool]? = nil) {
        self.name = name
        self.values = values
        self.missing = missing
    }

    /// What the column holds, from the case of `values`.
    public var kind: Kind {
        switch values {
        case .strings: .string
        case .categorical: .categorical
        case .integers: .integer
        case .floats: .float
        case .bools: .bool
        }
    }

    /// The column's name, kind and nullability; categorical columns are always nullable.
    public var schema: Schema {
        if case .categorical = values { return Schema(name: name, kind: .categorical, nullable: true) }
        return Schema(name: name, kind: kind, nullable: missing != nil)
    }

    /// Number of rows.
    public var count: Int {
        switch values {
        case .strings(let v): v.count
        case .categorical(let codes, _, _): codes.count
        case .integers(let v): v.count
        case .floats(let v): v.count
        case .bools(let v): v.count
        }
    }

    /// Whether row `i` is missing.
    public func isMissing(_ i: Int) -> Bool {
        if case .categorical(let codes, _, _) = values { return codes[i] < 0 }
        return missing?[i] ?? false
    }

    /// Row `i` as text (categories resolved, missing as `nil`) — for display and tests.
    public func text(at i: Int) -> String? {
        if isMissing(i) { return nil }
        switch values {
        case .strings(let v): return v[i]
        case .categorical(let codes, let categories, _): return categories[Int(codes[i])]
        case .integers(let v): return String(v[i])
        case .floats(let v): return String(v[i])
        case .bools(let v): return v[i] ? "True" : "False"
        }
    }

    /// The rows at `positions` (a range, or any list of row numbers), in that order.
    public func rows(_ positions: some Collection<Int>) -> FrameColumn {
        func pick<T>(_ all: [T]) -> [T] { positions.map { all[$0] } }
        let picked: Values =
            switch values {
            case .strings(let v): .strings(pick(v))
            case .categorical(let codes, let categories, let ordered):
                .categorical(codes: pick(codes), categories: categories, ordered: ordered)
            case .integers(let v): .integers(pick(v))
            case .floats(let v): .floats(pick(v))
            case .bools(let v): .bools(pick(v))
            }
        return FrameColumn(name: name, values: picked, missing: missing.map(pick))
    }
}
