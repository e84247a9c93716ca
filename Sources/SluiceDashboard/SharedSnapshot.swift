import Foundation
import SluiceEngine

/// The state the event streams send, read from the ledger at most once per `maxAge` however
/// many clients follow the run: each stream asks every second, and they all share one read, so
/// that a dashboard open in many tabs costs the run no more than one.
actor SharedSnapshot {
    private let source: DashboardSource
    private let control: Bool
    private let maxAge: Duration
    private var latest: (at: ContinuousClock.Instant, data: Data)?
    /// The read under way, which the streams that ask meanwhile wait for too.
    private var reading: Task<Data, any Error>?

    init(source: DashboardSource, control: Bool, maxAge: Duration) {
        self.source = source
        self.control = control
        self.maxAge = maxAge
    }

    /// The state as compact JSON: the latest read if it is younger than `maxAge`, else a new one.
    func data() async throws -> Data {
        if let latest, ContinuousClock.now - latest.at < maxAge { return latest.data }
        if let reading { return try await reading.value }
        let read = Task { [source, control] in try DashboardServer.encoder.encode(try await DashboardSnapshot.gather(source, control: control)) }
        reading = read
        defer { reading = nil }
        let data = try await read.value
        latest = (ContinuousClock.now, data)
        return data
    }
}
