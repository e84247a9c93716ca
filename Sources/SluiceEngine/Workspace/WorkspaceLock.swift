import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive lock on a workspace (`flock` on `sluice.lock`), so two runs never share one.
/// The kernel drops it when the process dies, `kill -9` included.
public final class WorkspaceLock: Sendable {
    private let descriptor: Int32
    /// The process id the lock file named when this lock was taken: the last process that held
    /// it (dead now, since the lock was free), whose stage programs may still be running.
    public let previousHolder: Int32?

    /// Takes the lock and writes this process's id into the lock file; throws `ledger.busy` when
    /// another process holds it, `ledger.unavailable` when the file cannot be opened.
    public init(_ workspace: Workspace) throws {
        let fd = open(workspace.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LedgerError(.unavailable, "cannot open \(workspace.lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: workspace.lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw LedgerError(.busy, "another sluice process (\(holder.isEmpty ? "unknown pid" : "pid " + holder)) is using the workspace \(workspace.root)")
        }
        previousHolder = (try? String(contentsOfFile: workspace.lockPath, encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .flatMap { $0 == getpid() ? nil : $0 }
        let pid = "\(getpid())\n"
        ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = fd
    }

    /// Whether a live process holds the workspace's lock (a run, or `sluice clean`). A run killed
    /// with `kill -9` holds it no more: the kernel dropped its lock. Never creates the lock file.
    public static func isHeld(_ workspace: Workspace) -> Bool {
        let fd = open(workspace.lockPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(fd, LOCK_UN)
        return false
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
