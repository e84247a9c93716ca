import SluiceFormats
import SluiceTestSupport

/// Random column data for Parquet tests: values, null masks and list lengths (including empty and
/// null lists) drawn from a seeded generator.
enum ParquetSamples {
    /// How often rows are null.
    enum NullPattern: String, CaseIterable, Sendable, CustomStringConvertible {
        case none, some, all
        var description: String { rawValue }
    }

    static func randomString(_ random: inout SeededGenerator) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzACGT0123456789_-éß✓")
        let length = Int.random(in: 0...12, using: &random)
        return String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
    }

    /// `count` random values of `type` (small ranges now and then, so dictionaries get used too).
    static func values(_ type: ParquetValueType, count: Int, lowCardinality: Bool, random: inout SeededGenerator) -> ParquetValues {
        switch type {
        case .boolean: return .boolean((0..<count).map { _ in Bool.random(using: &random) })
        case .int32:
            return .int32((0..<count).map { _ in lowCardinality ? Int32.random(in: -3...3, using: &random) : Int32.random(in: .min ... .max, using: &random) })
        case .int64:
            return .int64((0..<count).map { _ in lowCardinality ? Int64.random(in: 0...5, using: &random) : Int64.random(in: .min ... .max, using: &random) })
        case .float:
            return .float((0..<count).map { _ in lowCardinality ? Float(Int.random(in: 0...4, using: &random)) / 2 : Float.random(in: -1e6...1e6, using: &random) })
        case .double:
            return .double((0..<count).map { _ in lowCardinality ? Double(Int.random(in: 0...4, using: &random)) : Double.random(in: -1e12...1e12, using: &random) })
        case .string:
            let pool = (0..<5).map { _ in randomString(&random) }
            return .string(ParquetStrings((0..<count).map { _ in lowCardinality ? pool.randomElement(using: &random)! : randomString(&random) }))
        }
    }

    /// `values` with null slots replaced by the placeholders the reader produces (0, false, "").
    static func zeroingNulls(_ values: ParquetValues, validity: [Bool]?) -> ParquetValues {
        guard let validity else { return values }
        func zeroed<T>(_ array: [T], _ zero: T) -> [T] { zip(array, validity).map { $1 ? $0 : zero } }
        switch values {
        case .boolean(let v): return .boolean(zeroed(v, false))
        case .int32(let v): return .int32(zeroed(v, 0))
        case .int64(let v): return .int64(zeroed(v, 0))
        case .float(let v): return .float(zeroed(v, 0))
        case .double(let v): return .double(zeroed(v, 0))
        case .string(let v): return .string(ParquetStrings(zip(v.strings, validity).map { $1 ? $0 : "" }))
        }
    }

    static func validity(_ pattern: NullPattern, rows: Int, random: inout SeededGenerator) -> [Bool]? {
        switch pattern {
        case .none: return nil
        case .all: return [Bool](repeating: false, count: rows)
        case .some: return (0..<rows).map { _ in Int.random(in: 0..<4, using: &random) != 0 }
        }
    }

    /// Data for `column` with `rows` rows, in the form the reader returns it.
    static func data(
        for column: ParquetColumn, rows: Int, nulls: NullPattern, maxListLength: Int = 6,
        lowCardinality: Bool = false, random: inout SeededGenerator
    ) -> ParquetColumnData {
        let mask = column.isNullable ? validity(nulls, rows: rows, random: &random) : nil
        let normalizedMask = mask.flatMap { $0.contains(false) ? $0 : nil }
        if column.isList {
            var offsets = [0]
            for row in 0..<rows {
                let isNull = normalizedMask.map { !$0[row] } ?? false
                let length = isNull ? 0 : Int.random(in: 0...maxListLength, using: &random)
                offsets.append(offsets.last! + length)
            }
            let values = values(column.valueType, count: offsets.last!, lowCardinality: lowCardinality, random: &random)
            return ParquetColumnData(lists: values, offsets: offsets, validity: normalizedMask)
        }
        let values = values(column.valueType, count: rows, lowCardinality: lowCardinality, random: &random)
        return ParquetColumnData(zeroingNulls(values, validity: normalizedMask), validity: normalizedMask)
    }

    /// Every column shape Sluice writes: each value type, scalar and list, required and nullable.
    static var allColumns: [ParquetColumn] {
        ParquetValueType.allCases.flatMap { type in
            [
                ParquetColumn.scalar("\(type.rawValue)_required", type),
                ParquetColumn.scalar("\(type.rawValue)_nullable", type, nullable: true),
                ParquetColumn.list("\(type.rawValue)_list", of: type),
                ParquetColumn.list("\(type.rawValue)_list_nullable", of: type, nullable: true),
            ]
        }
    }
}
