public import Foundation

/// Whether process `pid` runs: it exists and is no zombie (a process whose parent died is
/// reaped by init only later, and `kill(pid, 0)` still succeeds on it).
public func isRunning(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    let state = stat.split(separator: ")").last?.split(separator: " ").first
    return state != "Z" && state != "X"
}

/// Whether process `pid` stopped running within `seconds` (looked at every 20 ms).
public func stopsRunning(_ pid: pid_t, within seconds: Double) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while isRunning(pid) {
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return true
}
