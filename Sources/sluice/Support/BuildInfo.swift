import Foundation

/// `sluice --version`: the release and the git commit the binary was built from. The commit is
/// not compiled in (a flag that changed with every commit would rebuild everything): a release
/// tarball carries it in `share/sluice/commit` beside the binary's `bin/`, and a binary built
/// in a git checkout (`.build/…/sluice`) reads the checkout's HEAD.
enum BuildInfo {
    /// The release, as the tarball names it.
    static let version = "0.2.0"

    /// `0.2.0 (commit 1a2b3c4d5e6f)`, or `(commit unknown)`.
    static var versionText: String { "\(version) (commit \(commit() ?? "unknown"))" }

    /// The commit, from the tarball's file or the checkout the binary lies in.
    static func commit(executable: String? = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) -> String? {
        guard let executable else { return nil }
        var folder = (executable as NSString).deletingLastPathComponent
        let recorded = ((folder as NSString).deletingLastPathComponent as NSString).appendingPathComponent("share/sluice/commit")
        if let text = try? String(contentsOfFile: recorded, encoding: .utf8) { return String(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(12)) }
        while folder.count > 1 {
            if let head = try? String(contentsOfFile: folder + "/.git/HEAD", encoding: .utf8) {
                return resolve(head.trimmingCharacters(in: .whitespacesAndNewlines), git: folder + "/.git")
            }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// HEAD's commit: itself when detached, else its branch's file or the packed refs.
    private static func resolve(_ head: String, git: String) -> String? {
        guard head.hasPrefix("ref: ") else { return String(head.prefix(12)) }
        let reference = String(head.dropFirst("ref: ".count))
        if let text = try? String(contentsOfFile: git + "/" + reference, encoding: .utf8) {
            return String(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(12))
        }
        let packed = (try? String(contentsOfFile: git + "/packed-refs", encoding: .utf8)) ?? ""
        return packed.split(separator: "\n").first { $0.hasSuffix(" " + reference) }.map { String($0.prefix(12)) }
    }
}
