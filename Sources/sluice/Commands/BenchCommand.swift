import ArgumentParser
import Foundation
import SluiceFormats

/// `sluice bench …`: measurements of Sluice's own speed on a user's files.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Sluice's throughput on your files.",
        subcommands: [BenchReadCommand.self])
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

    @Option(help: "Cells per batch.")
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
        let source = try reportingErrors { try CellSourceOpener.open(file, matrix: matrix) }
        try reportingErrors {
            for range in source.batchRanges(size: chunkSize) {
                let batch = try source.read(cells: range)
                cells += batch.matrix.rowCount
                stored += batch.matrix.nonZeroCount
                // Touch the values so the read cannot be optimized away; also a sanity figure.
                checksum += batch.matrix.values.reduce(0) { $0 + Double($1) }
            }
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
