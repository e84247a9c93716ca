import Foundation
import Yams

/// Turns the text of a pipeline file into a checked `PipelineConfig` (see `docs/pipeline.md`).
struct PipelineConfigParser {
    let file: String
    var folder: String { (file as NSString).deletingLastPathComponent }

    func parse(_ text: String) throws -> PipelineConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            // The parser's message spans lines (it quotes the line and points at the column): one line here.
            let words = "\(error)".split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "^" }
            throw ConfigError(.malformedYAML, "not valid YAML: \(words.joined(separator: " — "))", file: file)
        }
        guard let root else { throw ConfigError(.missingKey, "the pipeline file is empty", file: file) }
        let top = try ConfigNode(node: root, file: file, path: "").mapping(known: ["workspace", "budget", "items", "stages"])
        guard let workspaceNode = top["workspace"] else { throw missing("workspace", "the folder Sluice works in, e.g. workspace: ./work") }
        guard let budgetNode = top["budget"] else { throw missing("budget", "e.g. budget: {total: 50GB}") }
        guard let itemsNode = top["items"] else { throw missing("items", "a list of manifest:, directory: or url: entries") }
        guard let stagesNode = top["stages"] else { throw missing("stages", "e.g. stages: [fetch: {}, preprocess: {}]") }

        let workspace = absolute(try workspaceNode.string())
        let budget = try parseBudget(budgetNode)
        let stages = try parseStages(stagesNode)
        let items = try parseItems(itemsNode)
        try checkStageOrder(stages, stagesNode)
        return PipelineConfig(file: file, workspace: workspace, budget: budget, items: items, stages: stages)
    }

    private func missing(_ key: String, _ hint: String) -> ConfigError {
        ConfigError(.missingKey, "missing '\(key)': \(hint)", file: file)
    }

    func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let joined = expanded.hasPrefix("/") ? expanded : (folder as NSString).appendingPathComponent(expanded)
        return URL(fileURLWithPath: joined).standardizedFileURL.path
    }

    // MARK: Budget

    private func parseBudget(_ node: ConfigNode) throws -> BudgetLimits {
        let keys = try node.mapping(known: ["total", "areas", "filesystem_high", "filesystem_low"])
        guard let total = keys["total"] else { throw node.error(.missingKey, "budget needs 'total', e.g. total: 50GB") }
        var limits = BudgetLimits(total: try total.bytes())
        guard limits.total > 0 else { throw total.error(.badValue, "budget.total must be more than 0 bytes") }
        guard limits.total > Workspace.overheadSlack else {
            throw total.error(
                .badValue,
                "budget.total (\(ByteSize.format(limits.total))) leaves no room for data: Sluice keeps \(ByteSize.format(Workspace.overheadSlack)) for its ledger and logs; give it well above that")
        }
        if let areas = keys["areas"] {
            for (name, value) in try areas.mapping(known: Area.allCases.map(\.rawValue)) {
                limits.areas[Area(rawValue: name)!] = try value.bytes()
            }
        }
        if let high = keys["filesystem_high"] { limits.filesystemHigh = try high.double(in: 0.01...1) }
        if let low = keys["filesystem_low"] { limits.filesystemLow = try low.double(in: 0...1) }
        guard limits.filesystemLow <= limits.filesystemHigh else {
            throw node.error(.badValue, "budget.filesystem_low (\(limits.filesystemLow)) must not be above filesystem_high (\(limits.filesystemHigh))")
        }
        return limits
    }

    // MARK: Stages

    private func parseStages(_ node: ConfigNode) throws -> [StageSpec] {
        guard let entries = node.sequence, !entries.isEmpty else {
            throw node.error(.badValue, "stages must be a non-empty list, e.g. - fetch: {concurrency: 2}")
        }
        var stages: [StageSpec] = []
        for entry in entries {
            guard let mapping = entry.node.mapping, mapping.count == 1, let (key, value) = mapping.first.map({ ($0.key, $0.value) }),
                  let kindName = key.string
            else {
                throw entry.error(.badValue, "\(entry.path) must be one stage, written as '- KIND: {options}'")
            }
            guard let kind = StageSpec.Kind(rawValue: kindName) else {
                throw entry.error(.unknownStage, "unknown stage '\(kindName)' (known stages: \(StageSpec.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let options = ConfigNode(node: value, file: file, path: "\(entry.path).\(kindName)")
            var stage = try parseStage(kind, options)
            stage.line = entry.line
            guard !stages.contains(where: { $0.name == stage.name }) else {
                throw entry.error(.duplicateName, "two stages are named '\(stage.name)'; give one a distinct name: …")
            }
            stages.append(stage)
        }
        return stages
    }

    private func parseStage(_ kind: StageSpec.Kind, _ node: ConfigNode) throws -> StageSpec {
        let common = ["name", "concurrency", "retries"]
        let extra: [String]
        switch kind {
        case .fetch: extra = ["copy", "timeout"]
        case .preprocess:
            extra = ["chunk_size", "top_genes", "test_size", "skip_train_test_split", "hgnc", "min_genes", "min_counts",
                     "max_pct_mito", "split_by", "seed", "output_ratio", "matrix", "allow_non_counts"]
        case .command:
            extra = ["argv", "per", "batch", "batch_bytes", "timeout", "outputs", "area", "reserve", "output_ratio", "ref", "delete_inputs",
                     "from"]
        case .analyze: extra = ["run", "options", "input", "executable", "timeout", "reserve", "output_ratio", "delete_inputs", "from"]
        case .cleanup: extra = ["keep"]
        }
        // `- cleanup:` with nothing after it is an empty mapping.
        let isEmpty = node.node.scalar.map { ["", "~", "null"].contains($0.string) } ?? false
        let keys = isEmpty ? [:] : try node.mapping(known: common + extra)
        let defaultName = kind == .analyze ? (try keys["run"]?.string() ?? kind.rawValue) : kind.rawValue
        let name = try keys["name"]?.string() ?? defaultName
        guard name == DatasetName.component(name, fallback: "") else {
            throw (keys["name"] ?? node).error(.badValue, "the stage name '\(name)' names folders and log files: use letters, digits, '-', '_' and '.' only, e.g. '\(DatasetName.component(name, fallback: kind.rawValue))'")
        }
        var stage = StageSpec(kind: kind, name: name)
        stage.concurrency = try keys["concurrency"]?.int(atLeast: 1) ?? 1
        stage.retries = try keys["retries"]?.int() ?? (kind == .fetch ? 5 : 0)
        stage.from = try keys["from"]?.string()
        switch kind {
        case .fetch:
            if let value = keys["copy"] {
                if try value.string() == "link" {
                    stage.fetch.local = .hardLink
                } else {
                    stage.fetch.local = try value.bool() ? .copy : .inPlace
                }
            }
            if let value = keys["timeout"] { stage.fetch.timeout = try value.seconds() }
        case .preprocess:
            var options = StageSpec.Preprocess()
            if let value = keys["chunk_size"] { options.chunkSize = try value.int(atLeast: 1) }
            if let value = keys["top_genes"] { options.topGenes = try value.int(atLeast: 1) }
            if let value = keys["test_size"] { options.testSize = try value.double(in: 0...1) }
            if let value = keys["skip_train_test_split"] { options.skipSplit = try value.bool() }
            if let value = keys["hgnc"] {
                let path = absolute(try value.string())
                guard FileManager.default.fileExists(atPath: path) else {
                    throw value.error(.missingFile, "\(value.path): the HGNC table \(path) does not exist")
                }
                options.hgnc = path
            }
            if let value = keys["min_genes"] { options.minGenes = try value.int() }
            if let value = keys["min_counts"] { options.minCounts = try value.double() }
            if let value = keys["max_pct_mito"] { options.maxPctMito = try value.double(in: 0...100) }
            if let value = keys["split_by"] { options.splitBy = try value.string() }
            if let value = keys["matrix"] { options.matrix = try value.string() }
            if let value = keys["allow_non_counts"] { options.allowNonCounts = try value.bool() }
            if let value = keys["seed"] { options.seed = UInt64(try value.int()) }
            if let value = keys["output_ratio"] { options.outputRatio = try value.double(in: 0...1000) }
            stage.preprocess = options
        case .command:
            stage.command = try parseCommand(keys, node)
            stage.retries = try keys["retries"]?.int() ?? 0
        case .analyze:
            stage.analyze = try parseAnalyze(keys, node)
        case .cleanup:
            if let value = keys["keep"] {
                stage.cleanup.keep = Set(try (value.sequence ?? [value]).map { try $0.area() })
            }
        }
        return stage
    }

    private func parseCommand(_ keys: [String: ConfigNode], _ node: ConfigNode) throws -> StageSpec.Command {
        var options = StageSpec.Command()
        guard let argv = keys["argv"] else {
            throw node.error(.missingKey, "\(node.path) needs 'argv', the program and its arguments as a list")
        }
        guard let list = argv.sequence, !list.isEmpty else {
            throw argv.error(.badValue, "\(argv.path) must be a non-empty list: the program, then its arguments (no shell)")
        }
        options.argv = try list.map { try $0.string() }
        if !options.argv[0].contains("{") { options.argv[0] = try program(options.argv[0], list[0]) }
        let known = ["{in}", "{out}", "{outs}", "{item}", "{group}", "{ref}"]
        for argument in options.argv {
            var rest = Substring(argument)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                let placeholder = String(rest[open...close])
                guard known.contains(placeholder) else {
                    throw argv.error(.badValue, "unknown placeholder \(placeholder) in \(argv.path) (known: \(known.joined(separator: " ")))")
                }
                rest = rest[rest.index(after: close)...]
            }
        }
        if let value = keys["per"] {
            let text = try value.string()
            guard let scope = StageSpec.Command.Scope(rawValue: text) else {
                throw value.error(.badValue, "\(value.path) must be 'item' or 'group', not '\(text)'")
            }
            options.per = scope
        }
        if let value = keys["batch"] { options.batch = try value.int(atLeast: 1) }
        if let value = keys["batch_bytes"] { options.batchBytes = try value.bytes() }
        if let value = keys["timeout"] { options.timeout = try value.seconds() }
        if let value = keys["outputs"] { options.outputs = try value.strings() }
        if let value = keys["area"] { options.area = try value.area() }
        if let value = keys["reserve"] { options.reserveBytes = try value.bytes() }
        if let value = keys["output_ratio"] { options.outputRatio = try value.double(in: 0...1000) }
        if let value = keys["delete_inputs"] { options.deleteInputs = try value.bool() }
        if let value = keys["ref"] {
            let path = absolute(try value.string())
            guard FileManager.default.fileExists(atPath: path) else {
                throw value.error(.missingFile, "\(value.path): the reference folder \(path) does not exist")
            }
            options.reference = path
        }
        if options.argv.contains(where: { $0.contains("{ref}") }), options.reference == nil {
            throw argv.error(.missingKey, "\(argv.path) uses {ref} but the stage has no 'ref' folder")
        }
        if options.per == .group, options.batch > 1 {
            throw node.error(.badValue, "\(node.path): 'batch' cannot be combined with per: group")
        }
        return options
    }

    /// A command's program, checked before anything runs: a path (`./p.sh`, `bin/tool`) is
    /// relative to the pipeline file like every other path in it and must be an executable file;
    /// a bare name must be found on PATH (and stays a bare name).
    private func program(_ name: String, _ node: ConfigNode) throws -> String {
        guard name.contains("/") else {
            let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            guard folders.contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }) else {
                throw node.error(.missingFile, "the program '\(name)' was not found on PATH; give its path (relative to this file) or install it")
            }
            return name
        }
        let path = absolute(name)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw node.error(.missingFile, "the program \(path) does not exist (paths in argv are relative to this file)")
        }
        guard !isFolder.boolValue, FileManager.default.isExecutableFile(atPath: path) else {
            throw node.error(.badValue, "the program \(path) is not an executable file (chmod +x it, or run it through its interpreter: [sh, \(name)])")
        }
        return path
    }

    private func parseAnalyze(_ keys: [String: ConfigNode], _ node: ConfigNode) throws -> StageSpec.Analyze {
        var options = StageSpec.Analyze()
        let known = StageSpec.Analyze.Analysis.allCases.map(\.rawValue).joined(separator: ", ")
        guard let run = keys["run"] else {
            throw node.error(.missingKey, "\(node.path) needs 'run', the analysis to run on each item (\(known))")
        }
        let text = try run.string()
        guard let analysis = StageSpec.Analyze.Analysis(rawValue: text) else {
            throw run.error(.badValue, "\(run.path): '\(text)' is not an analysis (known: \(known))")
        }
        options.analysis = analysis
        if let table = keys["options"] {
            guard let entries = table.orderedMapping else {
                throw table.error(.badValue, "\(table.path) must be a mapping of `sluice analyze \(text)` options, e.g. {signature: cytosig, n_rand: 1000}")
            }
            for (key, value) in entries {
                let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
                guard !["--output", "--help"].contains(flag) else {
                    throw value.error(.badValue, "\(value.path): the stage sets --output itself (its output folder)")
                }
                if let list = value.sequence {
                    options.arguments += [flag, try list.map { try $0.string() }.joined(separator: ",")]
                    continue
                }
                let scalar = try value.string()
                switch scalar {
                case "true": options.arguments.append(flag)
                case "false": break
                default:
                    // Files named by the options are relative to the pipeline file, like every path in it.
                    let isPath = ["signature", "signature_dir", "hierarchy", "scratch", "covariates"].contains(key) && !["cytosig", "secact"].contains(scalar.lowercased())
                    options.arguments += [flag, isPath ? absolute(scalar) : scalar]
                }
            }
        }
        if let value = keys["input"] { options.input = try value.string() }
        if let value = keys["executable"] { options.executable = absolute(try value.string()) }
        if let value = keys["timeout"] { options.timeout = try value.seconds() }
        if let value = keys["reserve"] { options.reserveBytes = try value.bytes() }
        if let value = keys["output_ratio"] { options.outputRatio = try value.double(in: 0...1000) }
        if let value = keys["delete_inputs"] { options.deleteInputs = try value.bool() }
        return options
    }

    private func checkStageOrder(_ stages: [StageSpec], _ node: ConfigNode) throws {
        for (index, stage) in stages.enumerated() {
            guard let from = stage.from else { continue }
            let earlier = stages[..<index].filter { $0.kind != .cleanup }.map(\.name)
            guard earlier.contains(from) else {
                throw ConfigError(
                    .badValue, "stage '\(stage.name)' reads 'from: \(from)', which is not an earlier stage with outputs (earlier: \(earlier.joined(separator: ", ")))",
                    file: file, line: stage.line)
            }
        }
        for (index, stage) in stages.enumerated() where stage.kind == .fetch && index != 0 {
            throw ConfigError(.badValue, "the fetch stage must come first (it is stage \(index + 1))", file: file, line: stage.line)
        }
        if stages.first?.kind != .fetch {
            throw node.error(.badValue, "the first stage must be 'fetch', which brings each item into the workspace (use copy: false to read local files in place)")
        }
    }

    // MARK: Items

    private func parseItems(_ node: ConfigNode) throws -> [ItemSpec] {
        guard let entries = node.sequence, !entries.isEmpty else {
            throw node.error(.badValue, "items must be a non-empty list of manifest:, directory: or url: entries")
        }
        var items: [ItemSpec] = []
        for entry in entries {
            let keys = try entry.mapping(known: ["manifest", "directory", "glob", "url", "urls", "name", "size", "sha256", "md5", "group"])
            if let manifest = keys["manifest"] {
                let path = absolute(try manifest.string())
                guard FileManager.default.fileExists(atPath: path) else {
                    throw manifest.error(.missingFile, "the manifest \(path) does not exist")
                }
                items += try ManifestReader(path: path, resolve: absolute).read()
            } else if let directory = keys["directory"] {
                let path = absolute(try directory.string())
                let glob = try keys["glob"]?.string() ?? "*"
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
                    throw directory.error(.missingFile, "the input folder \(path) does not exist")
                }
                let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { GlobPattern(glob).matches($0) }.sorted()
                for name in names {
                    let full = (path as NSString).appendingPathComponent(name)
                    let size = (try? FileManager.default.attributesOfItem(atPath: full)[.size] as? NSNumber)?.int64Value
                    items.append(ItemSpec(name: name, sources: [full], size: size, group: try keys["group"]?.string()))
                }
            } else if keys["url"] != nil || keys["urls"] != nil {
                let sources = try (keys["urls"] ?? keys["url"]!).strings().map { $0.contains("://") ? $0 : absolute($0) }
                let name = try keys["name"]?.string() ?? (sources[0] as NSString).lastPathComponent
                var item = ItemSpec(name: name, sources: sources, size: try keys["size"]?.bytes(), group: try keys["group"]?.string())
                if let sha = keys["sha256"] { item.checksum = ExpectedChecksum(.sha256, try sha.string()) }
                if let md5 = keys["md5"] { item.checksum = ExpectedChecksum(.md5, try md5.string()) }
                if let checksum = item.checksum, !checksum.isWellFormed {
                    throw entry.error(.badValue, "\(entry.path): '\(checksum.hex)' is not a \(checksum.algorithm.rawValue) digest")
                }
                items.append(item)
            } else {
                throw entry.error(.missingKey, "\(entry.path) needs one of manifest:, directory: or url:")
            }
        }
        guard !items.isEmpty else { throw node.error(.badValue, "the items list names no items (empty manifest or folder)") }
        let names = DatasetName.distinctNames(items.map(\.name))
        let groups = DatasetName.groupNames(items.compactMap(\.group))
        for index in items.indices {
            items[index].name = names[index]
            items[index].group = items[index].group.map { groups[$0]! }
        }
        return items
    }
}
