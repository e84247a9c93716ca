import Foundation

/// The on-disk layout of a run (DESIGN.md): the ledger, one folder per area, per-item logs.
/// Hands out paths and never lets one escape its root.
///
/// With a node-local `scratch` folder, the areas of ``Area/nodeLocal`` (`raw`, `interim`) live
/// there instead (`<scratch>/raw/…`), while paths relative to the workspace stay the same: an
/// artifact recorded as `raw/x/a.h5ad` is under the scratch of the worker that made it.
public struct Workspace: Sendable {
    /// The workspace folder (absolute).
    public let root: String
    /// This worker's node-local folder for `raw` and `interim` (absolute); nil: they are in `root`.
    public let scratch: String?

    /// The workspace at `root`, made absolute and standardized, with `raw` and `interim` in
    /// `scratch` when it is given.
    public init(root: String, scratch: String? = nil) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
        self.scratch = scratch.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }

    /// The folder that holds `area`'s folder: the scratch for a node-local area when there is one.
    private func base(of area: String) -> String {
        guard let scratch, let area = Area(rawValue: area), Area.nodeLocal.contains(area) else { return root }
        return scratch
    }

    /// The SQLite ledger's file, `sluice.db`.
    public var ledgerPath: String { root + "/sluice.db" }
    /// The lock file, `sluice.lock`.
    public var lockPath: String { root + "/sluice.lock" }

    /// The folder of an area, `<root>/<area>`.
    public func folder(_ area: Area) -> String { base(of: area.rawValue) + "/" + area.rawValue }
    /// The folder of the per-item logs, `<root>/logs`.
    public var logsFolder: String { root + "/logs" }

    /// `<area>/<item>/`; throws when `item` is not one plain path component.
    public func folder(_ area: Area, item: String) throws -> String { try absolute(area.rawValue + "/" + item) }

    /// `logs/items/<item>/`, or `logs/groups/<group>/` for a group's own tasks (ids
    /// `group:<name>`): apart from the run's own files in `logs/`, whatever the items are called.
    public func logFolder(item: String) throws -> String {
        try absolute(ItemSpec.isCollectiveID(item) ? "logs/groups/" + ItemSpec.collectiveName(ofTask: item) : "logs/items/" + item)
    }

    /// The trace file (``TaskTrace``): `logs/trace.tsv` for `sluice run`, and
    /// `logs/trace-<host>-<pid>.tsv` for each `sluice worker`, so that no two processes append
    /// to one file on a shared file system.
    public func tracePath(for worker: WorkerRecord?) -> String {
        guard let worker else { return logsFolder + "/trace.tsv" }
        let host = String(worker.host.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
        return logsFolder + "/trace-\(host)-\(worker.pid).tsv"
    }

    /// The absolute path of a path relative to the root. Every path the engine builds from names
    /// (items, groups, stages, artifacts recorded in the ledger) goes through here: it throws
    /// unless each component is a plain name — not empty, `.` or `..`, without NUL, at most 255
    /// bytes — so the result is always strictly inside the root.
    public func absolute(_ relative: String) throws -> String {
        let components = relative.split(separator: "/", omittingEmptySubsequences: false)
        for component in components {
            guard !component.isEmpty, component != ".", component != "..", !component.utf8.contains(0), component.utf8.count <= 255 else {
                let shown = relative.replacingOccurrences(of: "\0", with: "\\0")
                throw WorkspaceError("the path '\(shown)' would leave the workspace \(root) or is not a plain file name; rename the item or group it comes from")
            }
        }
        return base(of: String(components[0])) + "/" + relative
    }

    /// The path relative to the root (or, for the node-local areas, to the scratch); nil when
    /// `path` is not under either.
    public func relative(_ path: String) -> String? {
        let standard = URL(fileURLWithPath: path).standardizedFileURL.path
        if let scratch, standard.hasPrefix(scratch + "/") {
            let inside = String(standard.dropFirst(scratch.count + 1))
            let area = inside.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            return Area(rawValue: area).map { Area.nodeLocal.contains($0) } == true ? inside : nil
        }
        guard standard.hasPrefix(root + "/") else { return nil }
        return String(standard.dropFirst(root.count + 1))
    }

    /// Creates the root, the area folders and the logs folder.
    public func create() throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), !isFolder.boolValue {
            throw WorkspaceError(code: "workspace.not-a-folder", "the workspace \(root) exists and is not a folder; point workspace: at a folder")
        }
        for folder in Area.allCases.map(folder) + [logsFolder] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
    }

    /// Allocated bytes under each area's folder, and the files and folders in all of them, as
    /// measured now (one walk).
    public func usage() -> (bytes: [Area: Int64], entries: Int) {
        let sizes = Area.allCases.map { ($0, DiskUsage.measure(folder($0))) }
        return (Dictionary(uniqueKeysWithValues: sizes.map { ($0, $1.bytes) }), sizes.reduce(0) { $0 + $1.1.entries })
    }

    /// Room kept in a file budget for the log folders of items in flight.
    public static let overheadEntrySlack = 64

    /// What the workspace holds outside the areas — the ledger, the logs, the lock and the root —
    /// as measured now, plus `overheadSlack` bytes and `overheadEntrySlack` entries for what they
    /// grow by between two measurements (the budget counts it).
    public func overhead() -> (bytes: Int64, entries: Int) {
        let measured = DiskUsage.measure([logsFolder, lockPath] + ["", "-wal", "-shm", "-journal"].map { ledgerPath + $0 })
        return (measured.bytes + Self.overheadSlack, 1 + measured.entries + Self.overheadEntrySlack)
    }

    /// Room kept for the growth of the ledger's write-ahead log between checkpoints (cut back to
    /// 1 MiB after each, it grows to about 2 MiB before the next) and of log lines.
    public static let overheadSlack: Int64 = 2 << 20

    /// Removes a file or folder under the root (never outside it); missing paths are fine, also
    /// when another worker removes the same path at the same moment.
    public func remove(_ path: String) throws {
        guard relative(path) != nil else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch let error as CocoaError where error.code == .fileNoSuchFile {
            return
        } catch {
            guard FileManager.default.fileExists(atPath: path) || (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil else { return }
            throw error
        }
    }

    /// Removes `folder` and its parents while they are empty, up to (not including) the area
    /// folders; returns the allocated bytes and entries that freed.
    @discardableResult
    public func removeEmptyFolders(from folder: String) -> (bytes: Int64, entries: Int) {
        var current = folder
        var freed: (bytes: Int64, entries: Int) = (0, 0)
        while let relative = relative(current), relative.contains("/"),
            (try? FileManager.default.contentsOfDirectory(atPath: current))?.isEmpty == true
        {
            let size = DiskUsage.measure(current)
            guard (try? FileManager.default.removeItem(atPath: current)) != nil else { break }
            freed.bytes += size.bytes
            freed.entries += size.entries
            current = (current as NSString).deletingLastPathComponent
        }
        return freed
    }

    /// Every `*.partial` file or folder under the areas, deepest first.
    public func partials() -> [String] {
        var found: [String] = []
        for area in Area.allCases {
            let base = folder(area)
            guard let walker = FileManager.default.enumerator(atPath: base) else { continue }
            while let name = walker.nextObject() as? String {
                if name.hasSuffix(".partial") {
                    found.append(base + "/" + name)
                    walker.skipDescendants()
                }
            }
        }
        return found
    }
}
