/// A buffer handed to several threads that each write only their own indices (or that all only
/// read it).
/// `@unchecked Sendable`: the caller guarantees the parts do not overlap and that the buffer
/// outlives the parallel work (it comes from a `withUnsafeMutableBufferPointer` around it).
public struct SharedPointer<Element>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Element>?
    public init(_ buffer: UnsafeMutableBufferPointer<Element>) { base = buffer.baseAddress }
    /// A buffer the threads only read.
    public init(reading buffer: UnsafeBufferPointer<Element>) { base = UnsafeMutablePointer(mutating: buffer.baseAddress) }
    public subscript(index: Int) -> Element {
        get { base![index] }
        nonmutating set { base![index] = newValue }
    }
}
