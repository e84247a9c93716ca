import Foundation

import CMalloc

/// The process's memory use as Linux reports it in `/proc/self/status`.
enum ProcessMemory {
    /// Peak resident set size (VmHWM) in bytes, or `nil` where `/proc` is not available.
    static var peakResidentBytes: Int? { field("VmHWM:") }
    /// Current resident set size (VmRSS) in bytes.
    static var residentBytes: Int? { field("VmRSS:") }

    /// Asks glibc to keep freed memory for reuse instead of returning it to the kernel.
    ///
    /// Streaming reads allocate batch-sized arrays (tens of MB) over and over. Above glibc's
    /// mmap threshold (at most 32 MB) each one is a fresh mapping whose pages the kernel must
    /// fault in and zero — measured at about a fifth of a read's time. Raising the thresholds
    /// lets the next batch reuse the last batch's pages; peak memory is unchanged. Called once,
    /// first thing in `main`, since it is process-wide.
    static func keepFreedMemory() {
        sluice_keep_freed_memory(1 << 30)
    }

    private static func field(_ name: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }
}
