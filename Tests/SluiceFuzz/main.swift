// sluice-fuzz: a mutation fuzzer for the parsers that take bytes from strangers, in the spirit of
// libFuzzer but built with the package as it is (no sanitizer toolchain): seeds from the committed
// fixtures are mutated (byte flips, insertions, deletions, duplications, truncations, numbers and
// separators swapped in) and parsed, for a bounded time. Every input is written to
// <out>/current.<target> before it is parsed, so a crash leaves the input that caused it.
//
//   sluice-fuzz TARGET --fixtures Tests/Fixtures --out DIR [--seconds 20] [--seed 1] [--memory-mib 1024]
//   TARGET: mtx | table | pipeline | manifest | parquet
//
// Bounds: the process's address space is limited to what it held at start plus --memory-mib, so
// an allocation beyond the bound fails (and the process with it); each input has 10 s (SIGALRM
// ends the process otherwise). Exit status 0: no crash, no hang, no allocation beyond the bound.
import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines

struct Options {
    var target = ""
    var fixtures = ""
    var out = ""
    var seconds = 20.0
    var seed: UInt64 = 1
    var memoryMiB = 1024

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        target = rest.popFirst() ?? ""
        while let flag = rest.popFirst() {
            let value = rest.popFirst() ?? ""
            switch flag {
            case "--fixtures": fixtures = value
            case "--out": out = value
            case "--seconds": seconds = Double(value) ?? seconds
            case "--seed": seed = UInt64(value) ?? seed
            case "--memory-mib": memoryMiB = Int(value) ?? memoryMiB
            default: fail("unknown option \(flag)")
            }
        }
        guard !fixtures.isEmpty, !out.isEmpty else { fail("usage: sluice-fuzz TARGET --fixtures DIR --out DIR [--seconds S] [--seed N]") }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("sluice-fuzz: \(message)\n".utf8))
    exit(2)
}

extension SeededGenerator {
    /// A uniform integer in 0..<bound (0 when the bound is 0 or 1).
    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
}

/// Numbers and separators that parsers trip on.
let interestingNumbers = [
    "0", "-1", "2147483648", "4294967297", "9223372036854775808", "18446744073709551616", "1e308", "-1e308",
    "nan", "inf", "999999999999", "0.5", "-0",
]
let interestingTokens = ["\t", "\n", " ", "%", "{", "[", ":", "-", "\"", "\r\n", "\0", "\\", "#", "*", "../", "{in}", "\u{FEFF}"]

func mutate(_ seed: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
    var bytes = seed
    for _ in 0..<(1 + random.below(4)) {
        let position = random.below(bytes.count + 1)
        switch random.below(7) {
        case 0 where !bytes.isEmpty:
            bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: random.next())
        case 1:
            bytes.insert(contentsOf: (0..<(1 + random.below(8))).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: position)
        case 2 where !bytes.isEmpty:
            let start = min(position, bytes.count - 1)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.below(16)))
        case 3 where !bytes.isEmpty:
            let start = min(position, bytes.count - 1)
            let piece = bytes[start..<min(bytes.count, start + 1 + random.below(64))]
            bytes.insert(contentsOf: piece, at: random.below(bytes.count + 1))
        case 4:
            bytes.removeSubrange(min(position, bytes.count)...)
        case 5:
            // A run of digits replaced by an interesting number.
            if let start = (position..<bytes.count).first(where: { (0x30...0x39).contains(bytes[$0]) }) {
                var end = start
                while end < bytes.count, (0x30...0x39).contains(bytes[end]) { end += 1 }
                bytes.replaceSubrange(start..<end, with: Array(interestingNumbers[random.below(interestingNumbers.count)].utf8))
            }
        default:
            bytes.insert(contentsOf: Array(interestingTokens[random.below(interestingTokens.count)].utf8), at: position)
        }
    }
    return bytes
}

/// One parser: seeds, and what to do with one input written to `path`'s folder.
struct Target {
    var seeds: [[UInt8]]
    var fileName: String
    /// Prepares the folder the input is written into (fixed companion files).
    var prepare: (_ folder: String) throws -> Void = { _ in }
    var parse: (_ path: String, _ folder: String) throws -> Void
}

func read(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read the seed \(path)") }
    return Array(data)
}

func files(_ folder: String, named: (String) -> Bool) -> [String] {
    let walker = FileManager.default.enumerator(atPath: folder)
    var found: [String] = []
    while let name = walker?.nextObject() as? String {
        if named(name) { found.append(folder + "/" + name) }
    }
    return found.sorted()
}

func target(_ options: Options) throws -> Target {
    let fx = options.fixtures
    switch options.target {
    case "mtx":
        // A real 10x Matrix Market folder; the coordinate file is mutated, its companions stay.
        return Target(
            seeds: [read(fx + "/mtx_real_plain/matrix.mtx")], fileName: "matrix.mtx",
            prepare: { folder in
                for name in ["barcodes.tsv", "genes.tsv"] {
                    try? FileManager.default.removeItem(atPath: folder + "/" + name)
                    try FileManager.default.copyItem(atPath: fx + "/mtx_real_plain/" + name, toPath: folder + "/" + name)
                }
            },
            parse: { _, folder in
                let source = try MatrixMarketReader(path: folder, scratchDirectory: folder)
                for range in source.batchRanges(size: 7) { _ = try source.read(cells: range) }
            })
    case "table":
        let seeds =
            [fx + "/activity/cytosig_subset.tsv", fx + "/correlation/data.tsv", fx + "/activity/ridge_Y.tsv"].map(read)
            + files(fx + "/bad_inputs") { $0.hasSuffix(".tsv") && !$0.contains("/") }.map(read)
        return Target(seeds: seeds, fileName: "table.tsv", parse: { path, _ in _ = try MatrixTable.read(path) })
    case "pipeline":
        let seeds = files(fx + "/bad_inputs") { $0.hasSuffix("pipeline.yaml") }.map(read)
        return Target(
            seeds: seeds, fileName: "pipeline.yaml",
            prepare: { folder in
                try "name\turl\tsize\ta\thttp://127.0.0.1:9/a\t10\n".write(toFile: folder + "/items.tsv", atomically: true, encoding: .utf8)
                try FileManager.default.createDirectory(atPath: folder + "/inputs", withIntermediateDirectories: true)
                try "x".write(toFile: folder + "/inputs/a.h5ad", atomically: true, encoding: .utf8)
            },
            parse: { path, _ in _ = try PipelineConfig.load(path, registry: PipelineStages.registry()) })
    case "manifest":
        let seeds =
            files(fx + "/bad_inputs") { $0.hasSuffix("items.tsv") }.map(read)
            + [Array("name\turl\tsize\tsha256\tgroup\na\thttp://127.0.0.1:9/a.h5ad\t10MB\t\(String(repeating: "ab", count: 32))\thuman\n".utf8)]
        return Target(
            seeds: seeds, fileName: "items.tsv",
            prepare: { folder in
                let yaml = "workspace: ./work\nbudget: {total: 1GB}\nitems:\n  - manifest: items.tsv\nstages:\n  - fetch: {}\n"
                try yaml.write(toFile: folder + "/pipeline.yaml", atomically: true, encoding: .utf8)
            },
            parse: { _, folder in _ = try PipelineConfig.load(folder + "/pipeline.yaml", registry: PipelineStages.registry()) })
    case "parquet":
        // A corpus shard made by the builder from a committed fixture: lists, strings, numbers.
        let scratch = options.out + "/parquet-seed"
        try? FileManager.default.removeItem(atPath: scratch)
        var preprocess = PreprocessOptions()
        preprocess.interimDirectory = scratch + "/interim"
        preprocess.outputDirectory = scratch + "/output"
        preprocess.logDirectory = scratch + "/logs"
        preprocess.convert.topGenes = 16
        let outcome = PreprocessRun(datasets: [PreprocessDataset(input: fx + "/csr.h5ad", name: "seed")], options: preprocess).run()[0]
        guard outcome.succeeded else { fail("could not make the Parquet seed: \(outcome.reason ?? "")") }
        let shards = files(scratch + "/output/seed") { $0.hasSuffix(".parquet") }
        guard !shards.isEmpty else { fail("the Parquet seed run wrote no shard") }
        return Target(
            seeds: shards.map(read), fileName: "input.parquet",
            parse: { path, _ in
                let reader = try ParquetReader(path: path)
                for group in 0..<reader.rowGroupCount { _ = try reader.readRowGroup(group) }
                _ = try ParquetFileSummary(reader)
            })
    default:
        fail("unknown target '\(options.target)' (mtx, table, pipeline, manifest, parquet)")
    }
}

/// Limits the address space to what the process holds now plus `mebibytes`.
func boundMemory(_ mebibytes: Int) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let kilobytes =
        status.split(separator: "\n").first { $0.hasPrefix("VmSize:") }
        .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
    let bytes = rlim_t((kilobytes << 10) + (mebibytes << 20))
    var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
    guard setrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0 else { fail("setrlimit failed: \(String(cString: strerror(errno)))") }
}

let options = Options(CommandLine.arguments)
try FileManager.default.createDirectory(atPath: options.out, withIntermediateDirectories: true)
let chosen = try target(options)
let folder = options.out + "/work." + options.target
try? FileManager.default.removeItem(atPath: folder)
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
try chosen.prepare(folder)
let current = options.out + "/current." + options.target
let input = folder + "/" + chosen.fileName
boundMemory(options.memoryMiB)

var random = SeededGenerator(seed: options.seed)
let deadline = Date().addingTimeInterval(options.seconds)
var inputs = 0
var rejected = 0
// Each seed once as it is, then mutations until the time is up.
while Date() < deadline {
    let seed = chosen.seeds[inputs % chosen.seeds.count]
    let bytes = inputs < chosen.seeds.count ? seed : mutate(seed, &random)
    _ = FileManager.default.createFile(atPath: current, contents: Data(bytes))
    _ = FileManager.default.createFile(atPath: input, contents: Data(bytes))
    alarm(10)
    do {
        try chosen.parse(input, folder)
    } catch {
        rejected += 1
    }
    alarm(0)
    inputs += 1
}
try? FileManager.default.removeItem(atPath: current)
print(
    "sluice-fuzz \(options.target): \(inputs) inputs in \(Int(options.seconds)) s (\(rejected) rejected with an error, \(inputs - rejected) accepted), seed \(options.seed): no crash, no hang, no allocation over \(options.memoryMiB) MiB"
)
