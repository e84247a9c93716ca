import Foundation
import SluiceFormats

/// What a program a stage ran used, as the kernel counted it when the program ended: its CPU
/// time, its peak resident memory and its I/O, each including the children it waited for
/// (``MeasuredProcess``). Stored as JSON beside the item's log between the measuring process
/// and the engine.
public struct ProcessUsage: Sendable, Codable, Equatable {
    /// The program's process id.
    public var pid: Int32
    /// Its exit status, or 128 + the signal that ended it.
    public var exitStatus: Int32
    /// User and system CPU seconds.
    public var cpuSeconds: Double
    /// Peak resident set size, bytes: the largest of the program's and its children's; nil
    /// when it could not be measured (``MeasuredProcess``).
    public var peakRSS: Int64?
    /// Bytes passed to `read`-like and `write`-like calls (`rchar`, `wchar` in `/proc/PID/io`).
    public var readCalls: Int64
    public var writeCalls: Int64
    /// Bytes the storage layer fetched and was asked to write (`read_bytes`, `write_bytes`).
    public var storageRead: Int64
    public var storageWritten: Int64

    /// A usage with every value given.
    public init(
        pid: Int32, exitStatus: Int32, cpuSeconds: Double, peakRSS: Int64?, readCalls: Int64, writeCalls: Int64, storageRead: Int64,
        storageWritten: Int64
    ) {
        self.pid = pid
        self.exitStatus = exitStatus
        self.cpuSeconds = cpuSeconds
        self.peakRSS = peakRSS
        self.readCalls = readCalls
        self.writeCalls = writeCalls
        self.storageRead = storageRead
        self.storageWritten = storageWritten
    }

    /// Reads the usage `sluice measure` wrote to `path`; nil when there is none (the program was
    /// not measured, or the measuring process was killed).
    public static func read(from path: String) -> ProcessUsage? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ProcessUsage.self, from: data)
    }

    /// Writes the usage to `path` atomically and durably (``AtomicCommit``, like every writer).
    public func write(to path: String) throws {
        try AtomicCommit.write(try JSONEncoder().encode(self), to: path)
    }
}
