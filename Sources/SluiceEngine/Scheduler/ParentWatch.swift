import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Programs that a run's stages start must not outlive the run: a `kill -9` of the run leaves
/// them re-parented to init, still writing into the workspace that the next run recovers — and
/// that run would start the same task again beside them. Each stage program is started with
/// ``variable`` set to the run's process id (and in a process group of its own); a `sluice`
/// child ends by itself once its parent is gone, and the next run, which finds the dead run's id
/// in the workspace lock, stops every process group still carrying it before it recovers.
public enum ParentWatch {
    /// `SLUICE_PARENT_PID`: the id of the run that started a stage's program.
    public static let variable = "SLUICE_PARENT_PID"
    /// `SLUICE_WATCH_PID`: the process a `sluice` child watches instead of the run, when the run
    /// did not start it itself (`sluice measure` stands between them).
    public static let watchVariable = "SLUICE_WATCH_PID"

    /// Stops (SIGKILL to each process group) every process whose environment names `parent` as
    /// the run that started it, and waits up to `timeout` seconds for them to be gone. Returns
    /// how many processes were found. Linux only (`/proc`); elsewhere it finds none.
    @discardableResult
    public static func stopChildren(of parent: Int32, timeout: Double = 10) -> Int {
        let marker = Array("\(variable)=\(parent)".utf8)
        let children = processes().filter { pid in
            pid != getpid() && environment(of: pid).contains { $0.elementsEqual(marker) }
        }
        for child in children {
            let group = getpgid(child)
            _ = group > 1 ? kill(-group, SIGKILL) : kill(child, SIGKILL)
        }
        let deadline = Date().addingTimeInterval(timeout)
        while children.contains(where: isAlive), Date() < deadline { usleep(20_000) }
        return children.count
    }

    private static func processes() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
    }

    /// A process's environment variables as `NAME=value` byte strings (none when unreadable).
    private static func environment(of pid: pid_t) -> [ArraySlice<UInt8>] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return [] }
        return Array(data).split(separator: 0)
    }

    /// Alive and not a zombie waiting to be reaped.
    private static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        return state != "Z" && state != "X"
    }
}
