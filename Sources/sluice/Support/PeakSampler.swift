import ServiceLifecycle
import SluiceEngine
import Synchronization

/// Samples a folder's allocated size every 50 ms while a run goes on, and keeps the highest.
final class PeakSampler: Service, Sendable {
    private let folder: String
    private let highest = Mutex<Int64>(0)

    init(_ folder: String) { self.folder = folder }

    /// The highest size seen so far.
    var peak: Int64 { highest.withLock { $0 } }

    func run() async {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let bytes = DiskUsage.bytes(at: self.folder)
                self.highest.withLock { $0 = max($0, bytes) }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
