import Foundation

/// The on-disk layout of a run (DESIGN.md): the ledger, one folder per area, per-item logs.
/// Hands out paths and never lets one escape its root.
public struct Workspace: Sendable {
    /// The workspace folder (absolute).
    public let root: String

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    public var ledgerPath: String { root + "/sluice.db" }
    public var lockPath: String { root + "/sluice.lock" }

    public func folder(_ area: Area) -> String { root + "/" + area.rawValue }
    public var logsFolder: String { root + "/logs" }

    /// `<area>/<item>/`; throws when `item` is not one plain path component.
    public func folder(_ area: Area, item: String) throws -> String { try absolute(area.rawValue + "/" + item) }

    /// `logs/<item>/`, or `logs/groups/<group>/` for a group's own tasks (ids `group:<name>`).
    public func logFolder(item: String) throws -> String {
        try absolute(ItemSpec.isCollectiveID(item) ? "logs/groups/" + ItemSpec.collectiveName(ofTask: item) : "logs/" + item)
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
        return root + "/" + relative
    }

    /// The path relative to the root; nil when `path` is not under the root.
    public func relative(_ path: String) -> String? {
        let standard = URL(fileURLWithPath: path).standardizedFileURL.path
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

    /// Allocated bytes under each area's folder, as measured now.
    public func usage() -> [Area: Int64] {
        Dictionary(uniqueKeysWithValues: Area.allCases.map { ($0, DiskUsage.bytes(at: folder($0))) })
    }

    /// Files and folders in the areas, as measured now.
    public func entries() -> Int { Area.allCases.reduce(0) { $0 + DiskUsage.measure(folder($1)).entries } }

    /// Files and folders outside the areas — logs, ledger, lock, the root — as measured now,
    /// plus `overheadEntrySlack` for what the logs of items in flight add between measurements.
    public func overheadEntries() -> Int {
        let ledger = ["", "-wal", "-shm", "-journal"].reduce(0) { $0 + DiskUsage.measure(ledgerPath + $1).entries }
        return 1 + DiskUsage.measure(logsFolder).entries + DiskUsage.measure(lockPath).entries + ledger + Self.overheadEntrySlack
    }

    /// Room kept in a file budget for the log folders of items in flight.
    public static let overheadEntrySlack = 64

    /// Bytes the workspace holds outside the areas — the ledger and the logs, as measured, plus
    /// `overheadSlack` for what they grow by between two measurements (the budget counts it).
    public func overhead() -> Int64 {
        let measured = DiskUsage.bytes(at: logsFolder) + DiskUsage.bytes(at: lockPath) + ["", "-wal", "-shm", "-journal"].reduce(0) { $0 + DiskUsage.bytes(at: ledgerPath + $1) }
        return measured + Self.overheadSlack
    }

    /// Room kept for the ledger's write-ahead log (capped at 1 MiB) and log lines.
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
              (try? FileManager.default.contentsOfDirectory(atPath: current))?.isEmpty == true {
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
