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

/// `sluice bench ledger`: move every task of a fresh SQLite ledger through claim and complete,
/// and report the transitions per second the ledger sustains.
struct BenchLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Time claim+complete transitions on a fresh SQLite ledger; print transitions/s.",
        discussion: """
            Registers N items with two stages in a temporary SQLite ledger (removed afterwards), then \
            claims each task alone (limit 1) and completes it: one claim plus one complete is one \
            transition, 2 x N in all. By default every stage-0 task goes first, then every stage-1 \
            task (the queue a claim searches is as long as it gets); --interleave takes both stages \
            of one item before the next. Each completion records one artifact, and a stage-1 \
            completion releases the item's stage-0 artifact, as a command stage that consumes its \
            input does. Registration is timed apart and not counted in the rate.
            """)

    @Option(parsing: .unconditional, help: "Items to register (each has 2 tasks).")
    var items: Int = 5000

    @Flag(help: "Claim and complete both stages of one item before the next item.")
    var interleave = false

    @Option(help: "Folder the temporary ledger is made in (default: the system's temporary folder).")
    var folder: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard items > 0 else { throw ValidationError("--items must be positive") }
    }

    func run() async throws {
        let base = folder ?? FileManager.default.temporaryDirectory.path
        let scratch = (base as NSString).appendingPathComponent("sluice-bench-ledger-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let path = scratch + "/sluice.db"
        let result = try await measure(SQLiteLedger(path: path), path: path)
        let rate = Double(result.transitions) / result.seconds
        if json {
            let object: [String: Any] = [
                "items": items, "stages": 2, "transitions": result.transitions, "order": interleave ? "item" : "stage",
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
            print("\(result.transitions) claim+complete transitions (\(items) items x 2 stages, \(interleave ? "item" : "stage") order) in \(String(format: "%.3f", result.seconds)) s")
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
                    format: "  registering took %.3f s (not counted); ledger %@ in %@", result.registerSeconds,
                    ByteCount.format(Double(result.ledgerBytes)), base))
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

    private func measure(_ ledger: SQLiteLedger, path: String) async throws -> Result {
        let clock = ContinuousClock()
        let specs = (0..<items).map { ItemSpec(name: String(format: "item%06d", $0), sources: ["https://example.org/item\($0).bin"], size: 8_000_000) }
        var result = Result()
        let registering = clock.now
        try await ledger.register(items: specs, stageNames: ["fetch", "process"], groupStages: [], barrierStages: [], now: Date().timeIntervalSince1970)
        result.registerSeconds = (clock.now - registering) / .seconds(1)

        let order: [Int] = interleave ? Array(repeating: [0, 1], count: items).flatMap { $0 } : Array(repeating: 0, count: items) + Array(repeating: 1, count: items)
        result.durations.reserveCapacity(order.count)
        let start = clock.now
        for stage in order {
            let claiming = clock.now
            let claimed = try await ledger.claim(
                stage: stage, owner: "bench", limit: 1, minimum: 1, maxBytes: nil, lease: 60,
                now: Date().timeIntervalSince1970)
            let completing = clock.now
            guard let task = claimed.first, claimed.count == 1 else {
                printError("error: a claim of stage \(stage) returned \(claimed.count) task(s) after \(result.transitions) transitions; the measurement is void")
                throw SluiceExitCode.couldNotRun
            }
            let name = task.item.name
            let artifact = ArtifactRecord(
                task: task.key, path: (stage == 0 ? "raw/" : "output/") + name + "/file.bin", area: stage == 0 ? .raw : .output,
                bytes: 8_000_000, sha256: String(repeating: "0", count: 64))
            try await ledger.complete(
                task.key, artifacts: [artifact], releasing: stage == 0 ? [] : [TaskKey(item: name, stage: 0)],
                now: Date().timeIntervalSince1970)
            let done = clock.now
            result.claimSeconds += (completing - claiming) / .seconds(1)
            result.completeSeconds += (done - completing) / .seconds(1)
            result.durations.append((done - claiming) / .seconds(1))
            result.transitions += 1
        }
        result.seconds = (clock.now - start) / .seconds(1)
        result.ledgerBytes = ["", "-wal", "-shm"].reduce(0) { $0 + DiskUsage.bytes(at: path + $1) }
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
