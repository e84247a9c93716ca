/// A mutable buffer handed to several threads that each touch only their own indices.
/// `@unchecked Sendable`: the caller guarantees the parts do not overlap and that the buffer
/// outlives the parallel work (it comes from a `withUnsafeMutableBufferPointer` around it).
struct SharedPointer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>?
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { base = buffer.baseAddress }
    subscript(index: Int) -> Element {
        get { base![index] }
        nonmutating set { base![index] = newValue }
    }
}
