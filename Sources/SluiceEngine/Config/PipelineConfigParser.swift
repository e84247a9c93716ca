import Foundation
import Yams

/// Turns the text of a pipeline file into a checked `PipelineConfig` (see `docs/pipeline.md`):
/// the workspace, budget and items here, each stage's common header here and its options by
/// the factory its kind registered.
struct PipelineConfigParser {
    let file: String
    let registry: StageRegistry
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
        let top = try ConfigNode(node: root, file: file, path: "").mapping(known: [
            "workspace", "budget", "items", "stages", "on_failure", "ledger", "workers", "node",
        ])
        guard let workspaceNode = top["workspace"] else { throw missing("workspace", "the folder Sluice works in, e.g. workspace: ./work") }
        guard let budgetNode = top["budget"] else { throw missing("budget", "e.g. budget: {total: 50GB}") }
        guard let itemsNode = top["items"] else { throw missing("items", "a list of manifest:, directory:, url: or cellxgene: entries") }
        guard let stagesNode = top["stages"] else { throw missing("stages", "e.g. stages: [fetch: {}, preprocess: {}]") }

        let workspace = absolute(try workspaceNode.string())
        let budget = try parseBudget(budgetNode)
        let stages = try parseStages(stagesNode)
        let (items, catalogs) = try parseItems(itemsNode)
        try checkStageOrder(stages, stagesNode)
        let onFailure = try top["on_failure"]?.choice(FailurePolicy.self) ?? .evict
        var ledger = LedgerLocation.workspace
        if let node = top["ledger"] {
            do {
                ledger = try LedgerLocation(try node.string(), relativeTo: folder)
            } catch let error as LedgerError {
                throw node.error(.badValue, error.message)
            }
        }
        let workers = try top["workers"].map(WorkerArraySpec.init)
        var config = PipelineConfig(
            file: file, workspace: workspace, budget: budget, items: items, stages: stages, onFailure: onFailure, ledger: ledger, workers: workers)
        config.catalogs = catalogs
        if let node = top["node"] {
            config.node = try NodeScratch(node, absolute: absolute)
            try config.checkScratch()
        }
        return config
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
        let keys = try node.mapping(known: ["total", "areas", "files", "filesystem_high", "filesystem_low"])
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
        if let files = keys["files"] { limits.files = try files.int(atLeast: 100) }
        if let high = keys["filesystem_high"] { limits.filesystemHigh = try high.double(in: 0.01...1) }
        if let low = keys["filesystem_low"] { limits.filesystemLow = try low.double(in: 0...1) }
        guard limits.filesystemLow <= limits.filesystemHigh else {
            throw node.error(.badValue, "budget.filesystem_low (\(limits.filesystemLow)) must not be above filesystem_high (\(limits.filesystemHigh))")
        }
        return limits
    }

    // MARK: Stages

    private func parseStages(_ node: ConfigNode) throws -> [any Stage] {
        guard let entries = node.sequence, !entries.isEmpty else {
            throw node.error(.badValue, "stages must be a non-empty list, e.g. - fetch: {concurrency: 2}")
        }
        var stages: [any Stage] = []
        for entry in entries {
            guard let mapping = entry.node.mapping, mapping.count == 1, let (key, value) = mapping.first.map({ ($0.key, $0.value) }),
                let kind = key.string
            else {
                throw entry.error(.badValue, "\(entry.path) must be one stage, written as '- KIND: {options}'")
            }
            guard let factory = registry.factory(kind) else {
                throw entry.error(.unknownStage, "unknown stage '\(kind)' (known stages: \(registry.kinds.joined(separator: ", ")))")
            }
            let options = StageOptions(
                node: ConfigNode(node: value, file: file, path: "\(entry.path).\(kind)"),
                headerKeys: Self.headerKeys, resolve: absolute)
            let header = try parseHeader(kind: kind, options, defaultRetries: factory.defaultRetries, line: entry.line)
            let stage = try factory.make(header, options)
            guard stage.name == DatasetName.component(stage.name, fallback: "") else {
                throw entry.error(
                    .badValue, "the stage name '\(stage.name)' names folders and log files: use letters, digits, '-', '_' and '.' only, e.g. '\(DatasetName.component(stage.name, fallback: kind))'")
            }
            guard !stages.contains(where: { $0.name == stage.name }) else {
                throw entry.error(.duplicateName, "two stages are named '\(stage.name)'; give one a distinct name: …")
            }
            stages.append(stage)
        }
        return stages
    }

    /// The keys every stage may have, read here; the rest belong to the kind.
    static let headerKeys = ["name", "concurrency", "retries", "from"]

    private func parseHeader(kind: String, _ options: StageOptions, defaultRetries: Int, line: Int?) throws -> StageHeader {
        guard options.node.isEmpty || options.node.isMapping else {
            throw options.error(.badValue, "\(options.path) must be a mapping of options, e.g. {concurrency: 2}")
        }
        var keys: [String: ConfigNode] = [:]
        for (key, value) in options.node.orderedMapping ?? [] where Self.headerKeys.contains(key) { keys[key] = value }
        let name = try keys["name"]?.string()
        return StageHeader(
            kind: kind, name: name ?? kind, isNameGiven: name != nil,
            concurrency: try keys["concurrency"]?.int(atLeast: 1) ?? 1,
            retries: try keys["retries"]?.int() ?? defaultRetries,
            from: try keys["from"]?.string(), line: line)
    }

    private func checkStageOrder(_ stages: [any Stage], _ node: ConfigNode) throws {
        for (index, stage) in stages.enumerated() {
            guard let from = stage.header.from else { continue }
            if stages[..<index].contains(where: { $0.name == from && $0.scheduling == .perGroupFirst }) {
                throw ConfigError(
                    .badValue, "stage '\(stage.name)' reads 'from: \(from)', a per: group-first stage, which writes its groups' outputs, not items': name them with {group_out:\(from)}",
                    file: file, line: stage.header.line)
            }
            let earlier = stages[..<index].filter { $0.outputArea != nil && $0.scheduling != .perGroupFirst }.map(\.name)
            guard earlier.contains(from) else {
                throw ConfigError(
                    .badValue, "stage '\(stage.name)' reads 'from: \(from)', which is not an earlier stage with outputs (earlier: \(earlier.joined(separator: ", ")))",
                    file: file, line: stage.header.line)
            }
        }
        for (index, stage) in stages.enumerated() where stage.isSource && index != 0 {
            throw ConfigError(.badValue, "the \(stage.header.kind) stage must come first (it is stage \(index + 1))", file: file, line: stage.header.line)
        }
        if stages.first?.isSource != true {
            throw node.error(.badValue, "the first stage must be 'fetch', which brings each item into the workspace (use copy: false to read local files in place)")
        }
    }

    // MARK: Items

    /// The items the file lists, named distinctly, and the catalogs that the ledger's opening
    /// resolves (``ItemResolver``), each placed where its entry is.
    private func parseItems(_ node: ConfigNode) throws -> ([ItemSpec], [PendingCatalog]) {
        guard let entries = node.sequence, !entries.isEmpty else {
            throw node.error(.badValue, "items must be a non-empty list of manifest:, directory:, url: or cellxgene: entries")
        }
        var items: [ItemSpec] = []
        var catalogs: [PendingCatalog] = []
        for entry in entries {
            let keys = try entry.mapping(known: ["manifest", "directory", "glob", "url", "urls", "name", "size", "sha256", "md5", "group", "cellxgene", "ena"])
            if let query = keys["cellxgene"] ?? keys["ena"] {
                guard keys.count == 1 else {
                    throw entry.error(.badValue, "\(entry.path): a catalog entry (cellxgene:, ena:) takes its options inside it (group_by: for groups)")
                }
                let catalog: any ItemCatalog =
                    keys["ena"] != nil
                    ? EnaCatalog(query: try EnaQuery(query, absolute: absolute), line: query.line)
                    : CellxgeneCatalog(query: try CellxgeneQuery(query, absolute: absolute), line: query.line)
                catalogs.append(PendingCatalog(position: items.count, catalog: catalog))
            } else if let manifest = keys["manifest"] {
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
                for algorithm in [ExpectedChecksum.Algorithm.sha256, .md5] {
                    guard let digests = keys[algorithm.rawValue] else { continue }
                    if let problem = item.setChecksums(try digests.strings(), algorithm) { throw entry.error(.badValue, "\(entry.path): \(problem)") }
                }
                items.append(item)
            } else {
                throw entry.error(.missingKey, "\(entry.path) needs one of manifest:, directory:, url: or cellxgene:")
            }
        }
        guard !items.isEmpty || !catalogs.isEmpty else { throw node.error(.badValue, "the items list names no items (empty manifest or folder)") }
        let names = DatasetName.distinctNames(items.map(\.name))
        let groups = DatasetName.groupNames(items.compactMap(\.group))
        for index in items.indices {
            items[index].name = names[index]
            items[index].group = items[index].group.map { groups[$0]! }
        }
        return (items, catalogs)
    }
}
