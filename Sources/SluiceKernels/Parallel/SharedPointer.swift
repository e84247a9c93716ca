/// A buffer handed to several threads that each write only their own indices (or that all only
/// read it).
/// `@unchecked Sendable`: the caller guarantees the parts do not overlap and that the buffer
/// outlives the parallel work (it comes from a `withUnsafeMutableBufferPointer` around it).
public struct SharedPointer<Element>: @unchecked Sendable {
    /// The address of the buffer's first element; nil for a buffer without storage.
    public let base: UnsafeMutablePointer<Element>?
    /// A buffer the threads write, each at its own indices.
    public init(_ buffer: UnsafeMutableBufferPointer<Element>) { base = buffer.baseAddress }
    /// A buffer the threads only read.
    public init(reading buffer: UnsafeBufferPointer<Element>) { base = UnsafeMutablePointer(mutating: buffer.baseAddress) }
    /// Element `index`, read or written in place, without a bounds check.
    public subscript(index: Int) -> Element {
        get { base![index] }
        nonmutating set { base![index] = newValue }
    }
}
