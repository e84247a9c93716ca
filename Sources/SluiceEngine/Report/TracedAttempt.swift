import Foundation

/// One row of a trace file (``TaskTrace``) as the report reads it back: times in milliseconds
/// since 1970, sizes in bytes; nil where the row is empty.
public struct TracedAttempt: Sendable, Equatable {
    public var stage: String
    public var item: String
    public var status: String
    public var attempt: Int
    public var submit: Int64
    public var start: Int64?
    public var complete: Int64
    public var cpuPercent: Double?
    public var peakRSS: Int64?
    public var readCalls: Int64?
    public var writeCalls: Int64?
    public var host: String
    public var reserved: Int64?
    public var written: Int64?
    public var error: String?

    /// Milliseconds from start (or submit) to complete.
    public var realtime: Int64 { complete - (start ?? submit) }

    /// Every row of the trace files in `logsFolder` (`trace.tsv` and the workers'
    /// `trace-*.tsv`), in submit order; rows that cannot be read are skipped.
    public static func read(logsFolder: String) -> [TracedAttempt] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: logsFolder)) ?? []).filter {
            $0 == "trace.tsv" || ($0.hasPrefix("trace-") && $0.hasSuffix(".tsv"))
        }
        return names.sorted().flatMap { read(file: logsFolder + "/" + $0) }.sorted { ($0.submit, $0.complete) < ($1.submit, $1.complete) }
    }

    /// The rows of one trace file.
    static func read(file path: String) -> [TracedAttempt] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard !lines.isEmpty else { return [] }
        let header = lines.removeFirst()
        let column = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return lines.compactMap { fields in
            func value(_ name: String) -> String? {
                guard let index = column[name], index < fields.count, !fields[index].isEmpty else { return nil }
                return fields[index]
            }
            guard let stage = value("process"), let item = value("tag"), let status = value("status"),
                let submit = value("submit").flatMap(Int64.init), let complete = value("complete").flatMap(Int64.init)
            else { return nil }
            return TracedAttempt(
                stage: stage, item: item, status: status, attempt: value("attempt").flatMap(Int.init) ?? 1, submit: submit,
                start: value("start").flatMap(Int64.init), complete: complete, cpuPercent: value("%cpu").flatMap(Double.init),
                peakRSS: value("peak_rss").flatMap(Int64.init), readCalls: value("rchar").flatMap(Int64.init),
                writeCalls: value("wchar").flatMap(Int64.init), host: value("hostname") ?? "",
                reserved: value("reserved_bytes").flatMap(Int64.init), written: value("written_bytes").flatMap(Int64.init), error: value("error"))
        }
    }
}
