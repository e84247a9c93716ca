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

/// Runs a program found on the PATH (`arguments[0]`) and waits for it on the calling thread
/// (call it off the pool): its exit status and standard output; its errors are dropped. The
/// output goes through a file, not a pipe: a process another test starts meanwhile may inherit
/// a pipe's end and keep it open, and a read to its end would wait for that process.
public func runAndWait(_ arguments: [String]) -> (status: Int32, output: String) {
    let path = NSTemporaryDirectory() + "sluice-run-\(UUID().uuidString)"
    guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else { return (-1, "") }
    defer { try? FileManager.default.removeItem(atPath: path) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardOutput = handle
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return (-1, "") }
    process.waitUntilExit()
    try? handle.close()
    return (process.terminationStatus, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
}

/// Runs `executable` with `arguments` (output dropped) and kills it with SIGKILL as soon as
/// `reached` returns a value, looked at every 2 ms; waits for it to end and returns that value,
/// or nil when the program ended on its own. The waiting is done off the cooperative pool.
public func killWhen<T: Sendable>(
    _ executable: String, _ arguments: [String], reached: @escaping @Sendable () -> T?
) async throws -> T? {
    try await offThePool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning {
            if let value = reached() {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                // It may have ended on its own just before the signal.
                return process.terminationReason == .uncaughtSignal ? value : nil
            }
            usleep(2_000)
        }
        return nil
    }
}
