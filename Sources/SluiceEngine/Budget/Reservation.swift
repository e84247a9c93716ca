/// Bytes promised to one writer in one area. Settle it with the real size once the writing is
/// committed, or cancel it when nothing was written.
public struct Reservation: Sendable, Hashable {
    /// Identifies the reservation within its budget (numbered from 1).
    public let id: Int
    /// The area the bytes are promised in.
    public let area: Area
}
