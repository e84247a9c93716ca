/// The values a reference tool (anndata, scanpy, loompy) read from a fixture, as the fixture
/// script wrote them.
public struct ExpectedDataset: Decodable, Sendable {
    public struct CSR: Decodable, Sendable {
        public var indptr: [Int64]
        public var indices: [Int32]
        public var data: [Double]
    }

    /// A JSON value of a column: a string, a number, a bool or null (`"NaN"` for NaN floats).
    public enum Value: Decodable, Sendable, Equatable {
        case string(String), number(Double), bool(Bool), null

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let bool = try? container.decode(Bool.self) {
                self = .bool(bool)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .string(try container.decode(String.self))
            }
        }
    }

    public struct Column: Decodable, Sendable {
        public var kind: String
        public var nullable: Bool
        public var values: [Value]
        public var categories: [String]?
        public var ordered: Bool?
    }

    /// JSON objects keep their keys in file order here (column order matters).
    public struct OrderedColumns: Decodable, Sendable {
        public var names: [String]
        public var columns: [String: Column]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            names = container.allKeys.map(\.stringValue)
            var columns: [String: Column] = [:]
            for key in container.allKeys { columns[key.stringValue] = try container.decode(Column.self, forKey: key) }
            self.columns = columns
        }
    }

    public var format: String
    public var matrix_source: String?
    public var n_cells: Int
    public var n_genes: Int
    public var nnz: Int
    public var csr: CSR
    public var obs_index: [String]
    public var var_index: [String]
    public var obs: OrderedColumns
    public var `var`: OrderedColumns
}
