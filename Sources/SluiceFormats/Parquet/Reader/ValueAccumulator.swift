/// Grows the typed value array of one column chunk as pages are decoded.
///
/// One array per type in a struct (not an enum with payloads), so appending mutates the array in
/// place instead of copying it out of an enum case and back.
struct ValueAccumulator {
    let type: ParquetValueType
    var booleans: [Bool] = []
    var int32s: [Int32] = []
    var int64s: [Int64] = []
    var floats: [Float] = []
    var doubles: [Double] = []
    var strings = ParquetStrings()

    init(type: ParquetValueType) { self.type = type }

    var count: Int {
        switch type {
        case .boolean: booleans.count
        case .int32: int32s.count
        case .int64: int64s.count
        case .float: floats.count
        case .double: doubles.count
        case .string: strings.count
        }
    }

    /// Appends `count` little-endian values copied from `source` (which may be unaligned).
    static func appendFixed<T: ParquetFixedWidthValue>(_ source: UnsafeRawBufferPointer, count: Int, to array: inout [T]) {
        let old = array.count
        array.append(contentsOf: repeatElement(T.zero, count: count))
        array.withUnsafeMutableBytes { destination in
            let stride = MemoryLayout<T>.stride
            UnsafeMutableRawBufferPointer(rebasing: destination[(old * stride)...])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<(count * stride)]))
        }
    }

    /// The accumulated values, spread over `validity.count` rows with placeholders for null rows.
    func values(spreadOver validity: [Bool]?) -> ParquetValues {
        guard let validity else { return finished }
        func spread<T>(_ dense: [T], _ zero: T) -> [T] {
            var result = [T](repeating: zero, count: validity.count)
            var next = 0
            for (row, valid) in validity.enumerated() where valid {
                result[row] = dense[next]
                next += 1
            }
            return result
        }
        switch type {
        case .boolean: return .boolean(spread(booleans, false))
        case .int32: return .int32(spread(int32s, 0))
        case .int64: return .int64(spread(int64s, 0))
        case .float: return .float(spread(floats, 0))
        case .double: return .double(spread(doubles, 0))
        case .string:
            var result = ParquetStrings()
            result.reserveCapacity(strings: validity.count, bytes: strings.bytes.count)
            var next = 0
            for valid in validity {
                if valid {
                    result.append(bytes: strings.bytes[strings.offsets[next]..<strings.offsets[next + 1]])
                    next += 1
                } else {
                    result.append(bytes: EmptyCollection<UInt8>())
                }
            }
            return .string(result)
        }
    }

    /// The accumulated values as they are.
    var finished: ParquetValues {
        switch type {
        case .boolean: .boolean(booleans)
        case .int32: .int32(int32s)
        case .int64: .int64(int64s)
        case .float: .float(floats)
        case .double: .double(doubles)
        case .string: .string(strings)
        }
    }
}
