public import Foundation
import SluiceFormats

/// Where a run's ledger lives, as the pipeline's `ledger:` says: in the workspace (the default,
/// `<workspace>/sluice.db`), in an SQLite file elsewhere (`sqlite:PATH`, e.g. on a node-local
/// disk when the workspace is on Lustre or NFS, where SQLite's locks are not safe), or in
/// PostgreSQL (`postgres://user@host:port/database?schema=NAME`), shared by workers on many nodes.
public enum LedgerLocation: Sendable, Hashable, CustomStringConvertible {
    case workspace
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// The name of the file in a workspace that records where its ledger is when it is not
    /// `sluice.db` (so that `sluice status WORKSPACE` finds it); it never holds a password.
    public static let recordName = "ledger.location"

    /// Parses a `ledger:` value; a relative SQLite path is made absolute against `folder`.
    public init(_ text: String, relativeTo folder: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if text.hasPrefix("sqlite:") {
            let path = (String(text.dropFirst("sqlite:".count)) as NSString).expandingTildeInPath
            guard !path.isEmpty else { throw LedgerError(.unavailable, "ledger 'sqlite:' needs a path, e.g. sqlite:/local/scratch/run.db") }
            self = .sqlite(path: URL(fileURLWithPath: path.hasPrefix("/") ? path : folder + "/" + path).standardizedFileURL.path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(text, environment: environment))
        } else {
            throw LedgerError(.unavailable, "ledger '\(PostgresLocation.redacted(text))' must be sqlite:PATH or postgres://user@host:port/database")
        }
    }

    /// `sqlite:PATH`, the PostgreSQL URL without a password, or `workspace`.
    public var description: String {
        switch self {
        case .workspace: "workspace"
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let location): location.description
        }
    }

    /// Opens (and creates or migrates) the ledger of `workspace`.
    public func open(workspace: Workspace) async throws -> any Ledger {
        switch self {
        case .workspace:
            return try SQLiteLedger(path: workspace.ledgerPath)
        case .sqlite(let path):
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            return try SQLiteLedger(path: path)
        case .postgres(let location):
            return try await PostgresLedger(location: location)
        }
    }

    /// The location `workspace` records, `.workspace` when it records none.
    public static func recorded(in workspace: Workspace) throws -> LedgerLocation {
        let record = workspace.root + "/" + recordName
        guard let text = try? String(contentsOfFile: record, encoding: .utf8) else { return .workspace }
        return try LedgerLocation(text.trimmingCharacters(in: .whitespacesAndNewlines), relativeTo: workspace.root)
    }

    /// Records this location in `workspace` (nothing for the default, nor when it is recorded
    /// already), atomically.
    public func record(in workspace: Workspace) throws {
        let record = workspace.root + "/" + Self.recordName
        guard self != .workspace else {
            try? FileManager.default.removeItem(atPath: record)
            return
        }
        let text = description + "\n"
        guard (try? String(contentsOfFile: record, encoding: .utf8)) != text else { return }
        // Workers starting together all record it: each through a partial file of its own.
        let partial = record + ".\(getpid()).partial"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: partial))
        } catch {
            unlink(partial)
            throw FormatError(.ioFailure, path: record, "could not be written: \(error.localizedDescription)")
        }
        try AtomicCommit.commit(partial, to: record)
    }
}
