import Foundation

/// One task attempt as `logs/trace.tsv` records it: Nextflow's trace fields where they apply
/// (in its raw form: epoch milliseconds, durations in milliseconds, sizes in bytes) and Sluice's
/// own — the area the task wrote to, the bytes it reserved and wrote, and the time it waited for
/// space. What a stage could not measure is left empty, never invented.
public struct TaskTrace: Sendable, Equatable {
    /// How the attempt ended.
    public enum Status: String, Sendable {
        /// Its outputs were committed.
        case completed = "COMPLETED"
        /// It failed (to be retried, or for good).
        case failed = "FAILED"
        /// It was given back unfinished: the run stopped, another worker took it, or the shared
        /// quota had no room.
        case aborted = "ABORTED"
    }

    /// The stage's name (`process`).
    public var stage: String
    /// The item's name, or the group's for a per-group task (`tag`).
    public var item: String
    public var status: Status
    /// Which attempt this was, from 1.
    public var attempt: Int
    /// Seconds since 1970 when the task was claimed (`submit`), when its space was granted and
    /// it began (`start`), and when it ended (`complete`).
    public var submitted: Double
    public var started: Double?
    public var completed: Double
    /// The program's process id, or the SLURM job id (`native_id`).
    public var nativeID: String?
    /// What the stage's program used (for stages that run one).
    public var usage: ProcessUsage?
    /// The host of the worker that ran it.
    public var host: String
    /// The area its outputs go to.
    public var area: String?
    /// Bytes reserved for its outputs, and bytes it committed.
    public var reserved: Int64?
    public var written: Int64?
    /// The failure's code, for a failed attempt.
    public var error: String?

    /// A trace with the fields every attempt has; the others are set as they become known.
    public init(stage: String, item: String, status: Status, attempt: Int, submitted: Double, completed: Double, host: String) {
        self.stage = stage
        self.item = item
        self.status = status
        self.attempt = attempt
        self.submitted = submitted
        self.completed = completed
        self.host = host
    }

    /// The file's columns, in order.
    public static let columns = [
        "task_id", "hash", "native_id", "process", "tag", "name", "status", "exit", "attempt", "submit", "start", "complete",
        "duration", "realtime", "%cpu", "peak_rss", "rchar", "wchar", "read_bytes", "write_bytes", "hostname",
        "area", "reserved_bytes", "written_bytes", "space_wait", "error",
    ]

    /// The task's identity across attempts: 8 hex digits of the SHA-256 of its stage and item,
    /// written like Nextflow's `ab/cdef12`.
    public var hash: String {
        let digest = Checksum.sha256(Data("\(stage)\u{0}\(item)".utf8))
        return "\(digest.prefix(2))/\(digest.dropFirst(2).prefix(6))"
    }

    /// The row for this attempt, numbered `taskID`: tab-separated, fields cleaned of tabs and
    /// line breaks, empty where nothing was measured.
    public func row(taskID: Int) -> String {
        // Durations are differences of the written times, so that a reader's sums agree.
        func milliseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1000).rounded()) }
        let (submit, start, complete) = (milliseconds(submitted), started.map(milliseconds), milliseconds(completed))
        let realtime = start.map { complete - $0 }
        let cpu: String =
            if let usage, let realtime, realtime > 0 { String(format: "%.1f", usage.cpuSeconds * 1000 / Double(realtime) * 100) } else { "" }
        func text(_ value: (some CustomStringConvertible)?) -> String { value.map(\.description) ?? "" }
        let fields: [String] = [
            String(taskID), hash, nativeID ?? text(usage?.pid), stage, item, "\(stage) (\(item))", status.rawValue, text(usage?.exitStatus),
            String(attempt), String(submit), text(start), String(complete), String(complete - submit), text(realtime), cpu,
            text(usage?.peakRSS), text(usage?.readCalls), text(usage?.writeCalls), text(usage?.storageRead), text(usage?.storageWritten),
            host, area ?? "", text(reserved), text(written), text(start.map { $0 - submit }), error ?? "",
        ]
        return fields.map { $0.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\t")
    }
}
