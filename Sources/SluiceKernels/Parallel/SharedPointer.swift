/// A buffer handed to several threads that each write only their own indices (or that all only
/// read it).
/// `@unchecked Sendable`: the caller guarantees the parts do not overlap and that the buffer
/// outlives the parallel work (it comes from a `withUnsafeMutableBufferPointer` around it).
struct SharedPointer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>?
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { base = buffer.baseAddress }
    /// A buffer the threads only read.
    init(reading buffer: UnsafeBufferPointer<Element>) { base = UnsafeMutablePointer(mutating: buffer.baseAddress) }
    subscript(index: Int) -> Element {
        get { base![index] }
        nonmutating set { base![index] = newValue }
    }
}
