import Foundation
public import SluiceEngine

/// The options of a `slurm` stage (docs/cluster.md): a `command` stage's program, outputs and
/// reservation, run as one SLURM job per batch, with the batch's weight and the job's resources.
public struct SlurmStageOptions: Sendable, Equatable {
    /// What a batch is weighed by.
    public enum Weight: Sendable, Equatable {
        /// Each item weighs 1: `batch_min` counts items.
        case items
        /// The bytes of the item's input files.
        case bytes
        /// The cells of the item's input (`sluice inspect`).
        case cells
        /// The pages of the item's PDF files.
        case pages
        /// The number in the item's manifest column of this name (``ItemSpec/metadata``).
        case column(String)

        /// The weight a `batch_weight` value names: one of the words above, or else a column.
        init(_ text: String) {
            switch text {
            case "items": self = .items
            case "bytes": self = .bytes
            case "cells": self = .cells
            case "pages": self = .pages
            default: self = .column(text)
            }
        }
    }

    /// The program, its outputs and reservation, as for a `command` stage (`per` is `item`).
    public var command: CommandStageOptions
    /// What `batchMinimum` measures.
    public var weight: Weight = .items
    /// A batch is submitted once its items weigh this much (nil: once it holds `batchMaximum`).
    public var batchMinimum: Double?
    /// At most this many items in one job.
    public var batchMaximum = 1000
    /// A lighter batch is submitted once its first item has waited this long (seconds).
    public var batchMaxWait: Double = 600
    /// What each job asks for.
    public var resources = SlurmResources()
    /// Seconds between two looks at the queue (one `squeue` for all of the stage's jobs).
    public var poll: Double = 5

    /// The keys of a `slurm` entry besides a command's.
    static let keys = ["batch_weight", "batch_min", "batch_max", "batch_max_wait", "poll"] + SlurmResources.keys

    /// Parses a `slurm` entry's options.
    init(_ options: StageOptions) throws {
        command = try CommandStageOptions(options, alsoKnown: Self.keys)
        let keys = try options.keys(known: CommandStageOptions.keys + Self.keys)
        for key in ["per", "batch", "batch_bytes"] {
            if let node = keys[key] {
                throw node.error(.badValue, "\(node.path): a slurm stage batches with batch_weight, batch_min, batch_max and batch_max_wait")
            }
        }
        if command.argv.contains(where: { $0.contains("{outs}") || $0.contains("{group}") }) {
            throw options.error(.badValue, "\(options.path): a slurm stage runs per batch of items: {outs} and {group} have no meaning there")
        }
        if let value = keys["batch_weight"] { weight = Weight(try value.string()) }
        if let value = keys["batch_min"] { batchMinimum = try value.double(in: 0...1e15) }
        if let value = keys["batch_max"] { batchMaximum = try value.int(atLeast: 1) }
        if let value = keys["batch_max_wait"] { batchMaxWait = try value.seconds() }
        if let value = keys["poll"] { poll = max(0.1, try value.seconds()) }
        resources = try SlurmResources(keys)
    }

    /// How the runner hands the stage its batches.
    var scheduling: StageScheduling {
        .batch(count: batchMaximum, enough: batchMinimum, maxWait: batchMaxWait)
    }
}
