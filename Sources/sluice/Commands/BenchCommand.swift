import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats

/// `sluice bench …`: measurements of Sluice's own speed on a user's files.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Sluice's throughput on your files.",
        subcommands: [BenchReadCommand.self, BenchLedgerCommand.self, BenchBLASCommand.self])
}

/// `sluice bench read FILE`: stream every cell once and report the rate and the peak memory.
struct BenchReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Stream every cell of a file once; print cells/s, MB/s and peak RSS.",
        discussion: """
            MB/s counts the decoded bytes delivered (4-byte value + 4-byte gene index per stored \
            entry, 8 bytes of offset per cell) per second of wall time, open included.
            """)

    @Argument(help: "The file to read.")
    var file: String

    @Option(parsing: .unconditional, help: "Cells per batch.")
    var chunkSize: Int = 10_000

    @Option(help: "Which matrix to read: X (default), raw, or a layer name.")
    var matrix: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard chunkSize > 0 else { throw ValidationError("--chunk-size must be positive") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        var cells = 0
        var stored = 0
        var checksum = 0.0
        let source = try CellSourceOpener.open(file, matrix: matrix)
        for range in source.batchRanges(size: chunkSize) {
            let batch = try source.read(cells: range)
            cells += batch.matrix.rowCount
            stored += batch.matrix.nonZeroCount
            // Touch the values so the read cannot be optimized away; also a sanity figure.
            checksum += batch.matrix.values.reduce(0) { $0 + Double($1) }
        }
        let seconds = (clock.now - start) / .seconds(1)
        let bytes = Double(stored) * 8 + Double(cells) * 8
        let peak = ProcessMemory.peakResidentBytes ?? 0
        if json {
            let result: [String: Double] = [
                "cells": Double(cells), "stored": Double(stored), "seconds": seconds,
                "cells_per_second": Double(cells) / seconds, "megabytes_per_second": bytes / seconds / 1e6,
                "peak_rss_bytes": Double(peak), "sum_of_values": checksum, "chunk_size": Double(chunkSize),
            ]
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("read \(cells) cells, \(stored) stored values in \(String(format: "%.3f", seconds)) s (chunk size \(chunkSize))")
            print(String(format: "  %.0f cells/s, %@/s decoded, peak RSS %@", Double(cells) / seconds, ByteCount.format(bytes / seconds), ByteCount.format(peak)))
            print(String(format: "  sum of values %.6g", checksum))
        }
    }
}

/// `sluice bench ledger`: move every task of a fresh ledger (SQLite, or a PostgreSQL schema)
/// through claim and complete, with one or more workers, and report the transitions per second
/// the ledger sustains.
struct BenchLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Time claim+complete transitions on a fresh SQLite or PostgreSQL ledger; print transitions/s.",
        discussion: """
            Registers N items with two stages in a temporary SQLite ledger (removed afterwards), then \
            claims each task alone (limit 1) and completes it: one claim plus one complete is one \
            transition, 2 x N in all. As in a worker's loop, each completion claims the worker's \
            next task in the same call (one round trip to PostgreSQL; "claim" times the first claim). By default every stage-0 task goes first, then every stage-1 \
            task (the queue a claim searches is as long as it gets); --interleave takes both stages \
            of one item before the next. Each completion records one artifact, and a stage-1 \
            completion releases the item's stage-0 artifact, as a command stage that consumes its \
            input does. Registration is timed apart and not counted in the rate. --workers K runs K \
            workers at once, each with a connection of its own, on the same ledger (the order is then \
            per stage); --ledger postgres://USER@HOST:PORT/DB measures a fresh schema there (dropped \
            afterwards; the password from SLUICE_PG_PASSWORD or ~/.pgpass).
            """)

    @Option(parsing: .unconditional, help: "Items to register (each has 2 tasks).")
    var items: Int = 5000

    @Flag(help: "Claim and complete both stages of one item before the next item.")
    var interleave = false

    @Option(help: "Folder the temporary ledger is made in (default: the system's temporary folder).")
    var folder: String?

    @Option(help: "A PostgreSQL ledger to measure instead of SQLite: postgres://USER@HOST:PORT/DB (a fresh schema is made and dropped).")
    var ledger: String?

    @Option(parsing: .unconditional, help: "Workers claiming and completing at once, each with its own connection.")
    var workers: Int = 1

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard items > 0 else { throw ValidationError("--items must be positive") }
        guard workers > 0 else { throw ValidationError("--workers must be positive") }
        if workers > 1, interleave { throw ValidationError("--interleave takes one worker") }
    }

    func run() async throws {
        let base = folder ?? FileManager.default.temporaryDirectory.path
        let scratch = (base as NSString).appendingPathComponent("sluice-bench-ledger-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let path = scratch + "/sluice.db"
        var opened: [any Ledger] = []
        var postgres: PostgresLedger?
        if let ledger {
            let schema = "bench_\(ProcessInfo.processInfo.processIdentifier)_\(UUID().uuidString.prefix(8).lowercased())"
            let text = ledger.contains("?") ? ledger.replacingOccurrences(of: #"schema=[^&]*"#, with: "", options: .regularExpression) : ledger + "?"
            let location = try PostgresLocation(text + (text.hasSuffix("?") || text.hasSuffix("&") ? "" : "&") + "schema=\(schema)")
            for _ in 0..<workers { opened.append(try await PostgresLedger(location: location)) }
            postgres = opened.first as? PostgresLedger
        } else {
            for _ in 0..<workers { opened.append(try SQLiteLedger(path: path)) }
        }
        let result: Result
        do {
            result = try await measure(opened, path: ledger == nil ? path : nil)
        } catch {
            try? await postgres?.dropSchema()
            throw error
        }
        try await postgres?.dropSchema()
        let rate = Double(result.transitions) / result.seconds
        if json {
            let object: [String: Any] = [
                "items": items, "stages": 2, "transitions": result.transitions, "order": interleave ? "item" : "stage",
                "ledger": ledger == nil ? "sqlite" : "postgres", "workers": workers,
                "seconds": result.seconds, "transitions_per_second": rate,
                "claim_seconds": result.claimSeconds, "complete_seconds": result.completeSeconds,
                "transition_p50_ms": result.percentile(0.5) * 1000, "transition_p99_ms": result.percentile(0.99) * 1000,
                "transition_max_ms": result.percentile(1) * 1000,
                "first_half_transitions_per_second": result.halfRate(first: true),
                "second_half_transitions_per_second": result.halfRate(first: false),
                "register_seconds": result.registerSeconds, "ledger_bytes": result.ledgerBytes, "folder": base,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(
                "\(result.transitions) claim+complete transitions (\(items) items x 2 stages, \(interleave ? "item" : "stage") order, \(ledger == nil ? "SQLite" : "PostgreSQL"), \(workers) worker(s)) in \(String(format: "%.3f", result.seconds)) s"
            )
            print(
                String(
                    format: "  %.0f transitions/s (first half %.0f/s, second half %.0f/s)", rate,
                    result.halfRate(first: true), result.halfRate(first: false)))
            print(
                String(
                    format: "  claim %.3f s, complete %.3f s; per transition p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                    result.claimSeconds, result.completeSeconds, result.percentile(0.5) * 1000,
                    result.percentile(0.99) * 1000, result.percentile(1) * 1000))
            print(
                String(
                    format: "  registering took %.3f s (not counted); ledger %@", result.registerSeconds,
                    ledger == nil ? "\(ByteCount.format(Double(result.ledgerBytes))) in \(base)" : "in PostgreSQL"))
        }
    }

    /// What one measurement found.
    private struct Result {
        var transitions = 0
        var seconds = 0.0
        var claimSeconds = 0.0
        var completeSeconds = 0.0
        var registerSeconds = 0.0
        var ledgerBytes: Int64 = 0
        /// Seconds of each transition, in the order they ran.
        var durations: [Double] = []

        func percentile(_ fraction: Double) -> Double {
            let sorted = durations.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
        }

        /// Transitions per second over the first or the second half of the transitions.
        func halfRate(first: Bool) -> Double {
            let half = durations.count / 2
            let part = first ? durations[..<half] : durations[half...]
            let seconds = part.reduce(0, +)
            return seconds > 0 ? Double(part.count) / seconds : 0
        }
    }

    private func measure(_ ledgers: [any Ledger], path: String?) async throws -> Result {
        let clock = ContinuousClock()
        let specs = (0..<items).map { ItemSpec(name: String(format: "item%06d", $0), sources: ["https://example.org/item\($0).bin"], size: 8_000_000) }
        var result = Result()
        let registering = clock.now
        try await ledgers[0].register(items: specs, stageNames: ["fetch", "process"], groupStages: [], barrierStages: [], now: Date().timeIntervalSince1970)
        result.registerSeconds = (clock.now - registering) / .seconds(1)

        let start = clock.now
        let rounds: [[Int]] = interleave ? [[0, 1]] : [[0], [1]]
        for round in rounds {
            // Each worker takes tasks of the round's stages until none is left.
            let parts = try await withThrowingTaskGroup(of: Result.self) { group in
                for (index, ledger) in ledgers.enumerated() {
                    group.addTask { try await Self.work(ledger, owner: "bench\(index)", stages: round, repeating: interleave ? 1 : nil) }
                }
                return try await group.reduce(into: [Result]()) { $0.append($1) }
            }
            for part in parts {
                result.transitions += part.transitions
                result.claimSeconds += part.claimSeconds
                result.completeSeconds += part.completeSeconds
                result.durations += part.durations
            }
        }
        result.seconds = (clock.now - start) / .seconds(1)
        guard result.transitions == 2 * items else {
            printError("error: \(result.transitions) transitions were made for \(items) items x 2 stages; the measurement is void")
            throw SluiceExitCode.couldNotRun
        }
        if let path { result.ledgerBytes = ["", "-wal", "-shm"].reduce(0) { $0 + DiskUsage.bytes(at: path + $1) } }
        return result
    }

    /// One worker: claims a task of `stages` (in turn, when `repeating` is 1; else the one stage
    /// until none is left) and completes it, claiming its next task in the same call as the
    /// runner's loop does; times each call.
    private static func work(_ ledger: any Ledger, owner: String, stages: [Int], repeating: Int?) async throws -> Result {
        let clock = ContinuousClock()
        var result = Result()
        var next = 0
        let claiming = clock.now
        var claimed = try await ledger.claim(
            stage: stages[0], owner: owner, limit: 1, minimum: 1, enough: nil, maxWait: nil, lease: 60, now: Date().timeIntervalSince1970
        ).first
        var claimSeconds = (clock.now - claiming) / .seconds(1)
        result.claimSeconds += claimSeconds
        while let task = claimed {
            let (name, stage) = (task.item.name, task.key.stage)
            let artifact = ArtifactRecord(
                task: task.key, path: (stage == 0 ? "raw/" : "output/") + name + "/file.bin", area: stage == 0 ? .raw : .output,
                bytes: 8_000_000, sha256: String(repeating: "0", count: 64))
            if repeating != nil { next += 1 }
            let completing = clock.now
            claimed = try await ledger.complete(
                task.key, by: owner, artifacts: [artifact], releasing: stage == 0 ? [] : [TaskKey(item: name, stage: 0)], ingesting: [],
                thenClaim: stages[next % stages.count], lease: 60, now: Date().timeIntervalSince1970
            ).next
            let seconds = (clock.now - completing) / .seconds(1)
            result.completeSeconds += seconds
            result.durations.append(claimSeconds + seconds)
            claimSeconds = 0
            result.transitions += 1
        }
        return result
    }
}

/// `sluice bench blas`: the OpenBLAS kernels this binary runs with, and how they were chosen.
struct BenchBLASCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas", abstract: "Print the OpenBLAS kernel set in use and how it was chosen (benchmarks record it).")

    func run() throws {
        print(BLASKernelChoice.description)
    }
}
