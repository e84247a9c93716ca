public import Foundation

/// Runs blocking work (waiting for a process, sleeping a thread) on a thread of its own, so that
/// it never holds one of Swift's few cooperative threads — on a 2-core machine two blocked tests
/// would stall every other test.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// Waits for a launched process to exit, off the cooperative pool; returns its exit status.
public func exitStatus(of process: Process) async -> Int32 {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            process.waitUntilExit()
            continuation.resume(returning: process.terminationStatus)
        }
    }
}
