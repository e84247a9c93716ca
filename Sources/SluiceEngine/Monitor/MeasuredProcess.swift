import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program and measures it exactly as the kernel counts it (`sluice measure`, which the
/// command stages put in front of their programs): it waits for the program's end without
/// reaping it, reads the ended process's `/proc/PID/io` — which by then also holds the I/O of
/// every child it waited for — and then reaps it with `wait4`, whose resource usage gives the
/// CPU time and the peak memory of the program and those children. Sampling `/proc` while a
/// program runs, as other tools do, misses what short programs and the last moments use.
///
/// One exception: Linux counts the memory of the process a program was spawned from (with
/// `vfork`, as `posix_spawn` does) into the program's peak, so a peak up to this process's own
/// is no measurement. Below that, the peak is the program's own (`VmHWM`), looked at every
/// 20 ms while it runs — unknown for a program that ended before the first look.
public enum MeasuredProcess {
    /// Signals the measuring process ignores (the program's process group receives them too, so
    /// the program ends, and the measurement is still written); the program gets them back at
    /// their defaults.
    static let passedSignals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// Runs `arguments` (the program found on the PATH unless it names a path) with
    /// `environment`, waits for it, and returns what it used. Throws `StageError` with code
    /// `measure.start` when it cannot be started.
    public static func run(_ arguments: [String], environment: [String: String]) throws -> ProcessUsage {
        for signal in passedSignals { Glibc.signal(signal, SIG_IGN) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in passedSignals + [SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, arguments[0], nil, &attributes, argv, envp)
        // Read after the spawn: at least what the program's start counted of this process.
        let ownPeak = Self.peakMemory(of: getpid()) ?? 0
        guard status == 0 else {
            throw StageError(code: "measure.start", "cannot start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        // Ended, not reaped: the zombie keeps its I/O counters until `wait4` below.
        var info = siginfo_t()
        var sampledPeak: Int64 = 0
        var started = false
        while true {
            info = siginfo_t()
            let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT | WNOHANG)
            if result == 0 && info._sifields._sigchld.si_pid == pid { break }
            if result != 0 && errno != EINTR { break }
            // Not at once: a program that has just started has not reached any peak yet.
            if started { if let peak = Self.peakMemory(of: pid) { sampledPeak = max(sampledPeak, peak) } }
            started = true
            usleep(20_000)
        }
        let io = Self.io(of: pid)
        var waitStatus: Int32 = 0
        var usage = rusage()
        while wait4(pid, &waitStatus, 0, &usage) < 0 && errno == EINTR {}
        let signal = waitStatus & 0x7f
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return ProcessUsage(
            pid: pid, exitStatus: signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal, cpuSeconds: cpu,
            peakRSS: Int64(usage.ru_maxrss) * 1024 > ownPeak ? Int64(usage.ru_maxrss) * 1024 : sampledPeak > 0 ? sampledPeak : nil, readCalls: io["rchar"] ?? 0, writeCalls: io["wchar"] ?? 0,
            storageRead: io["read_bytes"] ?? 0, storageWritten: io["write_bytes"] ?? 0)
    }

    /// Ends this process as the program ended: with its exit status, or by its signal.
    public static func exit(like usage: ProcessUsage) -> Never {
        if usage.exitStatus > 128 {
            let signal = usage.exitStatus - 128
            Glibc.signal(signal, SIG_DFL)
            raise(signal)
        }
        Glibc.exit(usage.exitStatus)
    }

    /// A process's peak resident memory so far (`VmHWM`), bytes; nil once it ended.
    static func peakMemory(of pid: pid_t) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int64(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// The counters of `/proc/PID/io` (none when it cannot be read).
    static func io(of pid: pid_t) -> [String: Int64] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else { return [:] }
        var values: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":")
            if parts.count == 2, let value = Int64(parts[1].trimmingCharacters(in: .whitespaces)) { values[String(parts[0])] = value }
        }
        return values
    }
}
