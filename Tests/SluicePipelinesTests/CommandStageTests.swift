import Foundation
import SluiceEngine
import SluiceLoopback
import SluicePipelines
import SluiceTestSupport
import Testing

/// Each way an external program can go wrong fails only its own item, with a clear sentence.
@Suite struct CommandStageTests {
    /// A folder with `in/<name>.sh` for each script (by default, one for each way to go wrong).
    private func scripts(
        _ scripts: [String: String] = [
            "good": "echo \"result for $1\" > \"$1/result.txt\"",
            "broken": "echo 'something broke: bad input' >&2; exit 4",
            "lazy": "echo 'nothing to do'; exit 0",
            "empty": ": > \"$1/result.txt\"",
        ]
    ) throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory("sluice-command")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for (name, body) in scripts { try (body + "\n").write(toFile: folder.file("in/\(name).sh"), atomically: true, encoding: .utf8) }
        return folder
    }

    /// The stage's timeout is far beyond what the scripts need: a test process busy with other
    /// tests can hold the engine's threads for many seconds (the timeout has its own test).
    @Test func failuresStayWithTheirItem() async throws {
        let folder = try scripts()
        let summary = try await run(folder, stage: "{name: run, argv: [sh, \"{in}/*.sh\", \"{out}\"], outputs: [result.txt], timeout: 10m, concurrency: 3}")
        let outcome = Dictionary(uniqueKeysWithValues: summary.items.map { ($0.item, $0) })
        #expect(outcome["good.sh"]?.state == .done, "good.sh: \(outcome["good.sh"]?.reason ?? "no reason")")
        let result = try String(contentsOfFile: folder.file("work/output/good.sh/run/result.txt"), encoding: .utf8)
        #expect(result.hasPrefix("result for /"))
        #expect(outcome["broken.sh"]?.reason?.contains("exited with status 4") == true)
        #expect(outcome["broken.sh"]?.reason?.contains("something broke: bad input") == true)
        #expect(outcome["lazy.sh"]?.reason?.contains("exited with status 0 but did not write result.txt") == true, "\(outcome["lazy.sh"]?.reason ?? "no reason")")
        #expect(outcome["empty.sh"]?.reason?.contains("result.txt for empty.sh is empty") == true, "\(outcome["empty.sh"]?.reason ?? "no reason")")
        // The program's output went to the item's log.
        let log = try String(contentsOfFile: folder.file("work/logs/items/lazy.sh/run.log"), encoding: .utf8)
        #expect(log.contains("nothing to do"))
        // Failed items leave no partial outputs.
        #expect(FileManager.default.fileExists(atPath: folder.file("work/output/broken.sh")) == false)
    }

    /// A program past its timeout is stopped with its children, and its item fails with a
    /// sentence naming the limit. (Alone in its run: a busy machine can only make the stop late.)
    @Test func aProgramPastItsTimeoutIsStopped() async throws {
        let pidFile = NSTemporaryDirectory() + "sluice-slow-\(UUID().uuidString).pid"
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let folder = try scripts(["slow": "sleep 100000 & echo $! > \(pidFile); wait"])
        let summary = try await run(folder, stage: "{name: run, argv: [sh, \"{in}/*.sh\", \"{out}\"], outputs: [result.txt], timeout: 2s}")
        #expect(summary.items.first?.state == .failed)
        let reason = summary.items.first?.reason ?? ""
        #expect(reason.contains("did not finish within 2 s and was stopped"), "\(reason)")
        let child = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(pid_t(child.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await stopsRunning(pid, within: 5), "the script's child \(pid) still runs")
        if isRunning(pid) { kill(pid, SIGKILL) }
    }

    /// Runs the scripts of `folder` through one command stage (`stage`, its YAML map).
    private func run(_ folder: TemporaryDirectory, stage: String, budget: String = "10MB") async throws -> RunSummary {
        let yaml = """
            workspace: ./work
            budget: {total: \(budget)}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command: \(stage)
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let harness = try await PipelineHarness.start(files: [:], registry: PipelineStages.registry())
        let summary = try await harness.run(folder.file("p.yaml"))
        try await harness.stop()
        return summary
    }

    /// A program that writes far more than its stage reserved is stopped while it writes (or,
    /// when it ended first, failed before its output is committed), with a sentence naming the
    /// option to raise; the others are untouched.
    @Test func aProgramThatOverrunsItsReservationIsStopped() async throws {
        let folder = try scripts([
            "modest": "head -c 100000 /dev/zero > \"$1/result.txt\"",
            "greedy": "head -c 3000000 /dev/zero > \"$1/result.txt\"; sleep 600",
            "quick": "head -c 3000000 /dev/zero > \"$1/result.txt\"",
        ])
        // The timeout is far beyond what the scripts need, so only the guard stops greedy.sh.
        let summary = try await run(
            folder, stage: "{name: run, argv: [sh, \"{in}/*.sh\", \"{out}\"], outputs: [result.txt], reserve: 200kB, timeout: 10m, concurrency: 3}",
            budget: "50MB")
        let outcome = Dictionary(uniqueKeysWithValues: summary.items.map { ($0.item, $0) })
        #expect(outcome["modest.sh"]?.state == .done, "\(outcome["modest.sh"]?.reason ?? "")")
        for item in ["greedy.sh", "quick.sh"] {
            #expect(outcome[item]?.state == .failed)
            let reason = outcome[item]?.reason ?? ""
            #expect(reason.contains("more than its reservation and margin") && reason.contains("raise the stage's reserve"), "\(item): \(reason)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("work/output/greedy.sh")))
    }

    /// A program missing or not executable is one config error naming the file and line, before
    /// anything runs: never a failure of every item at run time.
    @Test(arguments: [
        ("no-such-program-sluice", "the program 'no-such-program-sluice' was not found on PATH"),
        ("./missing.sh", "/missing.sh does not exist (paths in argv are relative to this file)"),
        ("./in/good.sh", "/in/good.sh is not an executable file"),
        ("./in", "/in is not an executable file"),
    ])
    func missingProgramIsAConfigError(_ program: String, _ expected: String) throws {
        let folder = try scripts()
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - directory: in
                glob: good.sh
            stages:
              - fetch: {}
              - command: {name: quant, argv: ["\(program)", "{in}"]}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigError.self) { try PipelineConfig.load(folder.file("p.yaml"), registry: PipelineStages.registry()) }
        #expect(error?.line == 8)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        #expect(!FileManager.default.fileExists(atPath: folder.file("work")))
    }

    /// A program given relative to the pipeline file (the script beside the YAML) runs from any
    /// working directory.
    @Test func programRelativeToThePipelineFile() async throws {
        let folder = try scripts()
        let script = folder.file("p.sh")
        try "#!/bin/sh\necho \"ran on $(basename \"$1\")\" > \"$2/result.txt\"\n".write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - directory: in
                glob: good.sh
            stages:
              - fetch: {}
              - command: {name: quant, argv: [./p.sh, "{in}", "{out}"], outputs: [result.txt]}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let config = try PipelineConfig.load(folder.file("p.yaml"), registry: PipelineStages.registry())
        #expect((config.stages[1] as? CommandStage)?.options.argv[0] == script)
        let harness = try await PipelineHarness.start(files: [:], registry: PipelineStages.registry())
        let summary = try await harness.run(folder.file("p.yaml"))
        #expect(summary.done == 1, "\(summary.items)")
        #expect(try String(contentsOfFile: folder.file("work/output/good.sh/quant/result.txt"), encoding: .utf8) == "ran on good.sh\n")
        try await harness.stop()
    }

    @Test func groupCommandRunsOncePerGroupAfterItsMembers() async throws {
        let harness = try await PipelineHarness.start(
            files: [
                "a.txt": Data("A\n".utf8), "b.txt": Data("B\n".utf8), "c.txt": Data("C\n".utf8),
            ], registry: PipelineStages.registry())
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - {url: "\(harness.server.url("a.txt"))", group: human}
              - {url: "\(harness.server.url("b.txt"))", group: mouse}
              - {url: "\(harness.server.url("c.txt"))", group: human}
            stages:
              - fetch: {concurrency: 2}
              - command: {name: upper, argv: [sh, -c, 'cat "$0"/*.txt | tr a-z A-Z > "$1/value.txt"', "{in}", "{out}"], outputs: [value.txt], delete_inputs: true}
              - command: {name: merge, per: group, argv: [sh, -c, 'cat "$@" > "$0/merged.txt"', "{out}", "{outs}/value.txt"], outputs: [merged.txt]}
              - cleanup: {keep: [output]}
            """
        let summary = try await harness.run(try harness.pipeline(yaml))
        #expect(summary.done == 3, "\(summary.items)")
        let human = try String(contentsOfFile: harness.folder.file("work/output/groups/human/merge/merged.txt"), encoding: .utf8)
        let mouse = try String(contentsOfFile: harness.folder.file("work/output/groups/mouse/merge/merged.txt"), encoding: .utf8)
        #expect(human == "A\nC\n")
        #expect(mouse == "B\n")
        // A second run finds nothing to do and changes nothing.
        let again = try await harness.run(try harness.pipeline(yaml))
        #expect(again.done == 3)
        #expect(harness.server.requestCount("/a.txt") == 1)
        try await harness.stop()
    }
    /// per: group-first: each group's index is built once, before any of its members is
    /// quantified, and each member's quant finds it through {group_out}; a group-first stage
    /// that would read its members' files is refused when the pipeline loads.
    @Test func groupFirstCommandPreparesEachGroupBeforeItsMembers() async throws {
        let harness = try await PipelineHarness.start(
            files: ["a.txt": Data("A\n".utf8), "b.txt": Data("B\n".utf8), "c.txt": Data("C\n".utf8)], registry: PipelineStages.registry())
        let runs = harness.folder.file("index-runs.txt")
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - {url: "\(harness.server.url("a.txt"))", group: human}
              - {url: "\(harness.server.url("b.txt"))", group: mouse}
              - {url: "\(harness.server.url("c.txt"))", group: human}
            stages:
              - fetch: {concurrency: 2}
              - command: {name: index, per: group-first, area: interim, argv: [sh, -c, 'sleep 0.3; echo "index of $1" > "$0/index.txt"; date +%s%N > "$0/stamp"; echo "$1" >> \(runs)', "{out}", "{group}"], outputs: [index.txt], reserve: 64kB}
              - command: {name: quant, argv: [sh, -c, 'cat "$0"/*.txt "$1/index.txt" > "$2/value.txt"; date +%s%N > "$2/stamp"', "{in}", "{group_out}", "{out}"], outputs: [value.txt], reserve: 64kB}
            """
        let summary = try await harness.run(try harness.pipeline(yaml))
        #expect(summary.done == 3, "\(summary.items)")
        func text(_ path: String) throws -> String { try String(contentsOfFile: harness.folder.file("work/" + path), encoding: .utf8) }
        #expect(try text("output/a.txt/quant/value.txt") == "A\nindex of human\n")
        #expect(try text("output/c.txt/quant/value.txt") == "C\nindex of human\n")
        #expect(try text("output/b.txt/quant/value.txt") == "B\nindex of mouse\n")
        #expect(try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n").sorted() == ["human", "mouse"])
        for (item, group) in [("a.txt", "human"), ("b.txt", "mouse"), ("c.txt", "human")] {
            let built = Int(try text("interim/groups/\(group)/index/stamp").trimmingCharacters(in: .whitespacesAndNewlines))!
            let used = Int(try text("output/\(item)/quant/stamp").trimmingCharacters(in: .whitespacesAndNewlines))!
            #expect(built < used, "\(item) was quantified before its group's index was built")
        }
        // A group-first stage runs before its members arrive: reading them is refused.
        let reading = yaml.replacingOccurrences(of: "\"{out}\", \"{group}\"]", with: "\"{out}\", \"{in}\"]")
        #expect(throws: ConfigError.self) { try PipelineConfig.load(try harness.pipeline(reading), registry: PipelineStages.registry()) }
        // Its outputs are its groups': a per-item stage cannot read them as its input.
        let fromIndex = yaml.replacingOccurrences(of: "- command: {name: quant, ", with: "- command: {name: quant, from: index, ")
        #expect(throws: ConfigError.self) { try PipelineConfig.load(try harness.pipeline(fromIndex), registry: PipelineStages.registry()) }
        try await harness.stop()
    }

    @Test func batchCommandRunsOnceForSeveralItems() async throws {
        let names = ["a", "b", "c", "d", "e"]
        let harness = try await PipelineHarness.start(files: Dictionary(uniqueKeysWithValues: names.map { ("\($0).txt", Data("\($0)\n".utf8)) }), registry: PipelineStages.registry())
        let runs = harness.folder.file("runs.txt")
        // One run gets the argument "{in}:{out}" once per item of its batch (an argument naming
        // a per-item placeholder is repeated); each output records the batch's size.
        let script =
            #"n=$(($# + 1)); for pair in "$0" "$@"; do in=$(echo "$pair" | cut -d: -f1); out=$(echo "$pair" | cut -d: -f2); cat "$in"/*.txt > "$out/value.txt"; echo $n > "$out/batch.txt"; done; echo run >> "#
            + runs
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
            \(names.map { "  - url: \"\(harness.server.url("\($0).txt"))\"" }.joined(separator: "\n"))
            stages:
              - fetch: {}
              - command: {name: pack, batch: 2, argv: [sh, -c, '\(script)', "{in}:{out}"], outputs: [value.txt, batch.txt]}
            """
        let summary = try await harness.run(try harness.pipeline(yaml))
        #expect(summary.done == 5, "\(summary.items)")
        var sizes: [Int] = []
        for name in names {
            let folder = harness.folder.file("work/output/\(name).txt/pack")
            #expect(try String(contentsOfFile: folder + "/value.txt", encoding: .utf8) == "\(name)\n")
            sizes.append(Int(try String(contentsOfFile: folder + "/batch.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
        }
        // Batches of two while more items can arrive; the last item goes alone.
        #expect(sizes.sorted() == [1, 2, 2, 2, 2])
        #expect(try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n").count == 3)
        try await harness.stop()
    }
}
