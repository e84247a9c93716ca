/// A stored little-endian numeric element type, for converting raw chunk bytes.
enum NumericKind: Sendable {
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64

    init?(_ type: HDF5ElementType) {
        switch type {
        case .integer(let signed, let bytes, true):
            switch (signed, bytes) {
            case (true, 1): self = .int8
            case (false, 1): self = .uint8
            case (true, 2): self = .int16
            case (false, 2): self = .uint16
            case (true, 4): self = .int32
            case (false, 4): self = .uint32
            case (true, 8): self = .int64
            case (false, 8): self = .uint64
            default: return nil
            }
        case .float(4, true): self = .float32
        case .float(8, true): self = .float64
        default: return nil
        }
    }

    var bytes: Int {
        switch self {
        case .int8, .uint8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

    /// Whether elements of this kind have exactly the layout of `T` (no conversion needed).
    func isNative<T: HDF5Numeric>(_: T.Type) -> Bool {
        switch self {
        case .int8: T.self == Int8.self
        case .uint8: T.self == UInt8.self
        case .int16: T.self == Int16.self
        case .uint16: T.self == UInt16.self
        case .int32: T.self == Int32.self
        case .uint32: T.self == UInt32.self
        case .int64: T.self == Int64.self
        case .uint64: T.self == UInt64.self
        case .float32: T.self == Float.self
        case .float64: T.self == Double.self
        }
    }

    /// Converts `count` elements of this kind at `source` into `destination`.
    func convert<T: HDF5Numeric>(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<T>) {
        switch self {
        case .int8: Self.convert(source, Int8.self, count, destination)
        case .uint8: Self.convert(source, UInt8.self, count, destination)
        case .int16: Self.convert(source, Int16.self, count, destination)
        case .uint16: Self.convert(source, UInt16.self, count, destination)
        case .int32: Self.convert(source, Int32.self, count, destination)
        case .uint32: Self.convert(source, UInt32.self, count, destination)
        case .int64: Self.convert(source, Int64.self, count, destination)
        case .uint64: Self.convert(source, UInt64.self, count, destination)
        case .float32: Self.convert(source, Float.self, count, destination)
        case .float64: Self.convert(source, Double.self, count, destination)
        }
    }

    @inline(__always)
    private static func convert<S: HDF5Numeric, T: HDF5Numeric>(
        _ source: UnsafeRawPointer, _: S.Type, _ count: Int, _ destination: UnsafeMutablePointer<T>
    ) {
        if S.self == T.self {
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * MemoryLayout<T>.stride)
            return
        }
        // Raw chunk bytes carry no alignment guarantee beyond the element offset, so load unaligned.
        for i in 0..<count {
            let value = source.loadUnaligned(fromByteOffset: i * MemoryLayout<S>.stride, as: S.self)
            destination[i] = T(hdf5Converting: value)
        }
    }
}
