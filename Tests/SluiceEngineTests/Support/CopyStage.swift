import Foundation
import SluiceEngine

/// A stage kind defined by the engine's tests (the engine knows it only through its protocol):
/// it concatenates the regular files of its input folder — for a group or the barrier, of every
/// member's, in item order — into `copy.txt`, after `sleep` seconds. Items named in `fail`
/// fail for good; items named in `flaky` fail with a transient error on their first attempt.
/// With `digest: true` it writes the content's SHA-256 instead of the content. Beside it,
/// `batch.txt` names the units of the batch it ran in.
struct CopyStage: ConfigurableStage {
    static let kind = "copy"
    let header: StageHeader
    let scheduling: StageScheduling
    let area: Area
    let reserve: Int64?
    let failing: Set<String>
    let flaky: Set<String>
    let sleep: Double
    let digest: Bool
    /// Whether to delete the stage's inputs once committed.
    let consumesInputs: Bool

    init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        let keys = try options.keys(known: ["per", "batch", "batch_bytes", "area", "reserve", "fail", "flaky", "sleep", "digest", "delete_inputs"])
        switch try keys["per"]?.string() ?? "item" {
        case "group": scheduling = .perGroup
        case "all": scheduling = .barrier
        default:
            let batch = try keys["batch"]?.int(atLeast: 1) ?? 1
            scheduling = batch > 1 ? .batch(count: batch, enough: try keys["batch_bytes"].map { Double(try $0.bytes()) }) : .perItem
        }
        area = try keys["area"]?.area() ?? .output
        reserve = try keys["reserve"]?.bytes()
        failing = Set(try keys["fail"]?.strings() ?? [])
        flaky = Set(try keys["flaky"]?.strings() ?? [])
        sleep = try keys["sleep"]?.seconds() ?? 0
        digest = try keys["digest"]?.bool() ?? false
        consumesInputs = try keys["delete_inputs"]?.bool() ?? true
    }

    var outputArea: Area? { area }

    func outputFolder(item: String, isGroup: Bool) -> String? {
        isGroup ? "\(area.rawValue)/groups/\(item)/\(name)" : "\(area.rawValue)/\(item)/\(name)"
    }

    func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 { reserve ?? inputBytes }

    func run(_ units: [StageUnit], context: StageContext) async throws {
        if sleep > 0 { try await Task.sleep(for: .seconds(sleep)) }
        for unit in units {
            if failing.contains(unit.name) {
                throw StageError(code: "copy.refused", "\(unit.name) is on the stage's fail list")
            }
            if flaky.contains(unit.name), unit.task.attempt == 1 {
                throw StageError(code: "copy.flaky", "\(unit.name) fails its first attempt", transient: true)
            }
            guard let output = unit.partialOutput else { continue }
            var text = Data()
            for folder in unit.isCollective ? unit.memberInputs : [unit.input].compactMap({ $0 }) {
                for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() where name != "batch.txt" {
                    text += (FileManager.default.contents(atPath: folder + "/" + name) ?? Data())
                }
            }
            if digest { text = Data((Checksum.sha256(text) + "\n").utf8) }
            try text.write(to: URL(fileURLWithPath: output + "/copy.txt"))
            try Data(units.map(\.name).joined(separator: " ").utf8).write(to: URL(fileURLWithPath: output + "/batch.txt"))
        }
    }
}

extension StageRegistry {
    /// The engine's kinds and the tests' own.
    static var tests: StageRegistry { .engine.adding(CopyStage.self) }
}
