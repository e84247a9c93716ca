import Foundation

/// Puts the items of a pipeline's catalogs (``PipelineConfig/catalogs``) into its item list.
///
/// Each catalog's list is taken as the ledger stores it; a catalog not resolved yet asks its
/// service, and the answer is stored, so that a rerun and every worker take the same items
/// without asking again. With `refresh`, the service is asked again, the stored list replaced,
/// and what changed is told. Items the ledger registered earlier keep their spec (and so the
/// dataset version they were pinned to) once one of their tasks has started.
public struct ItemResolver: Sendable {
    /// Where resolved lists are stored; nil: ask every catalog and store nothing (`sluice plan`
    /// before the first run).
    public var ledger: (any Ledger)?
    /// Ask the services again even where a list is stored.
    public var refresh: Bool
    /// Store the lists the services gave (`sluice plan` only reads them).
    public var stores: Bool

    /// A resolver that reads lists from `ledger` (when given) and, when `stores`, keeps there
    /// the ones it asks for.
    public init(ledger: (any Ledger)?, refresh: Bool = false, stores: Bool = true) {
        self.ledger = ledger
        self.refresh = refresh
        self.stores = stores
    }

    /// `config` with its catalogs' items in place, named distinctly, and no catalogs left; each
    /// catalog tells `onLine` where its items came from (or what a refresh changed).
    public func resolve(_ config: PipelineConfig, onLine: (String) -> Void = { _ in }) async throws -> PipelineConfig {
        guard !config.catalogs.isEmpty else { return config }
        var resolved = config
        var inserted: [(position: Int, items: [ItemSpec])] = []
        // A dataset two entries both list (a query and a collection) is one item, not two.
        var taken = Set<[String]>()
        for pending in config.catalogs {
            let items = Self.named(try await items(of: pending.catalog, onLine: onLine))
            let kept = items.filter { taken.insert($0.sources).inserted }
            if kept.count < items.count {
                onLine("\(pending.catalog.label): \(items.count - kept.count) of its datasets are listed by an earlier entry, and taken once")
            }
            inserted.append((pending.position, kept))
        }
        // Later positions first, so earlier ones stay where they were.
        for (position, items) in inserted.enumerated().sorted(by: { ($0.element.position, $0.offset) > ($1.element.position, $1.offset) }).map(\.element) {
            resolved.items.insert(contentsOf: items, at: min(position, resolved.items.count))
        }
        let names = DatasetName.distinct(resolved.items.map(\.name))
        for index in resolved.items.indices { resolved.items[index].name = names[index] }
        resolved.catalogs = []
        return resolved
    }

    /// The catalog's items: stored, or asked for (and stored).
    private func items(of catalog: any ItemCatalog, onLine: (String) -> Void) async throws -> [ItemSpec] {
        let stored = try await ledger?.resolvedItems(key: catalog.key)
        if let stored, !refresh {
            onLine("\(catalog.label): \(Self.summary(stored.items)) as resolved \(Self.date(stored.resolvedAt)) (--refresh asks again)")
            return stored.items
        }
        let answer = ResolvedItems(key: catalog.key, resolvedAt: Date().timeIntervalSince1970, items: try await catalog.resolve())
        guard let ledger, stores else {
            onLine("\(catalog.label): \(Self.summary(answer.items))" + (stored.map { ", " + Self.changes(from: $0.items, to: answer.items) } ?? ""))
            return answer.items
        }
        let kept = try await ledger.store(answer, replacing: refresh)
        if let stored {
            onLine("\(catalog.label): " + Self.changes(from: stored.items, to: kept.items))
        } else {
            onLine("\(catalog.label): \(Self.summary(kept.items)), kept in the ledger for later runs")
        }
        return kept.items
    }

    /// Catalog items named as folders can be (ids are kept where they are safe already), with
    /// their groups made safe.
    private static func named(_ items: [ItemSpec]) -> [ItemSpec] {
        let groups = DatasetName.groupNames(items.compactMap(\.group))
        return items.map { item in
            var item = item
            item.name = DatasetName.component(item.name, fallback: "dataset")
            item.group = item.group.map { groups[$0]! }
            return item
        }
    }

    /// `12 datasets, 3.4 GB` (with how many sizes are unknown).
    static func summary(_ items: [ItemSpec]) -> String {
        let bytes = items.compactMap(\.size).reduce(0, +)
        let unknown = items.count(where: { $0.size == nil })
        return "\(items.count) dataset\(items.count == 1 ? "" : "s"), \(ByteSize.format(bytes))" + (unknown > 0 ? " (\(unknown) of unknown size)" : "")
    }

    /// What a refresh changed: datasets added, gone, and at a new version.
    static func changes(from old: [ItemSpec], to new: [ItemSpec]) -> String {
        let before = Dictionary(old.map { ($0.name, $0) }) { first, _ in first }
        let after = Dictionary(new.map { ($0.name, $0) }) { first, _ in first }
        let added = new.map(\.name).filter { before[$0] == nil }
        let gone = old.map(\.name).filter { after[$0] == nil }
        let revised = new.map(\.name).filter { name in before[name].map { $0.sources != after[name]!.sources || $0.size != after[name]!.size } ?? false }
        guard !(added.isEmpty && gone.isEmpty && revised.isEmpty) else { return "no change (\(summary(new)))" }
        func list(_ names: [String]) -> String { names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : "") }
        var parts: [String] = []
        if !added.isEmpty { parts.append("\(added.count) added (\(list(added)))") }
        if !gone.isEmpty { parts.append("\(gone.count) gone (\(list(gone)); items already registered stay)") }
        if !revised.isEmpty { parts.append("\(revised.count) at a new version (\(list(revised)); items not started yet take it, started ones keep theirs)") }
        return "refreshed: " + parts.joined(separator: ", ") + "; now \(summary(new))"
    }

    /// A time as `2026-12-07 14:56 UTC`.
    private static func date(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
