import Foundation

/// A fresh directory under the system temporary directory, removed when the value is dropped.
public final class TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    public let path: String

    public init(_ label: String = "sluice-test") throws {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// `name` inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
