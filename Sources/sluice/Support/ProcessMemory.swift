import Foundation

/// The process's memory use as Linux reports it in `/proc/self/status`.
enum ProcessMemory {
    /// Peak resident set size (VmHWM) in bytes, or `nil` where `/proc` is not available.
    static var peakResidentBytes: Int? { field("VmHWM:") }
    /// Current resident set size (VmRSS) in bytes.
    static var residentBytes: Int? { field("VmRSS:") }

    private static func field(_ name: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }
}
