/// Bytes promised to one writer in one area. Settle it with the real size once the writing is
/// committed, or cancel it when nothing was written.
public struct Reservation: Sendable, Hashable {
    public let id: Int
    public let area: Area
}
