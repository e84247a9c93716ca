import Foundation
public import SluiceEngine

/// The options of a `command` stage (docs/pipeline.md), parsed and checked before anything runs.
public struct CommandStageOptions: Sendable, Equatable {
    /// Whom one run of the program serves.
    public enum Scope: String, Sendable, CaseIterable {
        /// One item (or a batch of items).
        case item
        /// One group of items, once all its members arrived.
        case group
        /// One group of items, before its members go past the stage: it reads no item's files
        /// (a per-species index from `{ref}/{group}…`), and later stages find what it made
        /// with `{group_out}`.
        case groupFirst = "group-first"
        /// Every item at once, after all of them arrived (a barrier).
        case all
    }

    public var argv: [String] = []
    public var per: Scope = .item
    /// Items per run of the program (1: one run per item).
    public var batch = 1
    /// A batch also closes once its items' input bytes reach this.
    public var batchBytes: Int64?
    /// Seconds before the program is stopped; nil waits for ever.
    public var timeout: Double?
    /// Files (globs allowed) that must exist and be non-empty in `{out}` after the run.
    public var outputs: [String] = []
    /// The area the outputs go to.
    public var area: Area = .output
    /// Bytes reserved before the program runs: fixed, or a multiple of the input's size.
    public var reserveBytes: Int64?
    public var outputRatio = 1.0
    /// The folder `{ref}` stands for (absolute).
    public var reference: String?
    /// Delete the stage's inputs once its outputs are committed (inputs in `raw`/`interim` only).
    public var deleteInputs = true
    /// A scratch folder the program writes (set in code by the stages that reserve one with
    /// ``StageContext/withScratch(_:folder:_:)``), and the bytes reserved for it: the program is
    /// stopped when the folder outgrows them, as when its outputs do.
    public var scratchFolder: String?
    public var scratchBytes: Int64 = 0

    public init() {}

    /// The placeholders an argument may use.
    static let placeholders = ["{in}", "{out}", "{outs}", "{item}", "{group}", "{ref}", "{group_out}", "{group_out:STAGE}", "{out:STAGE}"]

    /// The keys of a `command` entry.
    static let keys = ["argv", "per", "batch", "batch_bytes", "timeout", "outputs", "area", "reserve", "output_ratio", "ref", "delete_inputs"]

    /// Parses a `command` entry's options; `alsoKnown` are keys of a kind that runs its program
    /// another way (a `slurm` stage's), left to it.
    init(_ options: StageOptions, alsoKnown: [String] = []) throws {
        let keys = try options.keys(known: Self.keys + alsoKnown)
        guard let argv = keys["argv"] else {
            throw options.error(.missingKey, "\(options.path) needs 'argv', the program and its arguments as a list")
        }
        guard let list = argv.sequence, !list.isEmpty else {
            throw argv.error(.badValue, "\(argv.path) must be a non-empty list: the program, then its arguments (no shell)")
        }
        self.argv = try list.map { try $0.string() }
        if !self.argv[0].contains("{") { self.argv[0] = try Self.program(self.argv[0], list[0], options) }
        for argument in self.argv {
            var rest = Substring(argument)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                let placeholder = String(rest[open...close])
                guard Self.placeholders.contains(placeholder) || placeholder.hasPrefix("{group_out:") || placeholder.hasPrefix("{out:") else {
                    throw argv.error(.badValue, "unknown placeholder \(placeholder) in \(argv.path) (known: \(Self.placeholders.joined(separator: " ")))")
                }
                rest = rest[rest.index(after: close)...]
            }
        }
        if let value = keys["per"] { per = try value.choice(Scope.self) }
        if let value = keys["batch"] { batch = try value.int(atLeast: 1) }
        if let value = keys["batch_bytes"] { batchBytes = try value.bytes() }
        if let value = keys["timeout"] { timeout = try value.seconds() }
        if let value = keys["outputs"] { outputs = try value.strings() }
        if let value = keys["area"] { area = try value.area() }
        if let value = keys["reserve"] { reserveBytes = try value.bytes() }
        if let value = keys["output_ratio"] { outputRatio = try value.double(in: 0...1000) }
        if let value = keys["delete_inputs"] { deleteInputs = try value.bool() }
        if let value = keys["ref"] {
            let path = options.absolute(try value.string())
            guard FileManager.default.fileExists(atPath: path) else {
                throw value.error(.missingFile, "\(value.path): the reference folder \(path) does not exist")
            }
            reference = path
        }
        if self.argv.contains(where: { $0.contains("{ref}") }), reference == nil {
            throw argv.error(.missingKey, "\(argv.path) uses {ref} but the stage has no 'ref' folder")
        }
        if per == .groupFirst, let reading = self.argv.first(where: { $0.contains("{in}") || $0.contains("{outs}") || $0.contains("{group_out") }) {
            throw argv.error(.badValue, "\(argv.path): a per: group-first stage runs before its members arrive, so it cannot read their files (\(reading))")
        }
        if per != .item, batch > 1 {
            throw options.error(.badValue, "\(options.path): 'batch' cannot be combined with per: \(per.rawValue)")
        }
    }

    /// A command's program, checked before anything runs: a path (`./p.sh`, `bin/tool`) is
    /// relative to the pipeline file like every other path in it and must be an executable file;
    /// a bare name must be found on PATH (and stays a bare name).
    private static func program(_ name: String, _ node: ConfigNode, _ options: StageOptions) throws -> String {
        guard name.contains("/") else {
            let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            guard folders.contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }) else {
                throw node.error(.missingFile, "the program '\(name)' was not found on PATH; give its path (relative to this file) or install it")
            }
            return name
        }
        let path = options.absolute(name)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw node.error(.missingFile, "the program \(path) does not exist (paths in argv are relative to this file)")
        }
        guard !isFolder.boolValue, FileManager.default.isExecutableFile(atPath: path) else {
            throw node.error(.badValue, "the program \(path) is not an executable file (chmod +x it, or run it through its interpreter: [sh, \(name)])")
        }
        return path
    }

    /// How the runner hands the stage its work.
    var scheduling: StageScheduling {
        switch per {
        case .group: .perGroup
        case .groupFirst: .perGroupFirst
        case .all: .barrier
        case .item: batch > 1 ? .batch(count: batch, enough: batchBytes.map(Double.init)) : .perItem
        }
    }
}
