import Synchronization

/// What a running batch's stage reports about the work it did beyond what the engine sees:
/// the usage of the program it ran, or the id the cluster gave its job. Filled through
/// ``StageContext``, read by the runner into the batch's trace rows.
final class TaskMeasurements: Sendable {
    private let values = Mutex<(usage: ProcessUsage?, nativeID: String?)>((nil, nil))

    func record(_ usage: ProcessUsage) { values.withLock { $0.usage = usage } }
    func record(nativeID: String) { values.withLock { $0.nativeID = nativeID } }

    var usage: ProcessUsage? { values.withLock { $0.usage } }
    var nativeID: String? { values.withLock { $0.nativeID } }
}
