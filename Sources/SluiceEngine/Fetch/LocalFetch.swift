import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Brings a local file into `raw/<item>/`: a copy (reserved first), a hard link, or a symbolic
/// link to read it in place.
struct LocalFetch {
    let path: String
    let target: String
    let mode: FetchStage.LocalMode

    func run(context: StageContext, before: Int64) async throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw StageError(code: "fetch.missing-file", "\(path) does not exist or is not a file")
        }
        let size = Int64(info.st_size)
        try? FileManager.default.removeItem(atPath: target)
        switch mode {
        case .inPlace:
            try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: path)
            return 0
        case .hardLink:
            try await context.ensureReserved(before + size)
            guard link(path, target) == 0 else {
                throw StageError(code: "fetch.link", "cannot hard-link \(path) into the workspace (\(String(cString: strerror(errno)))); use copy: true")
            }
        case .copy:
            try await context.ensureReserved(before + size)
            do {
                try FileManager.default.copyItem(atPath: path, toPath: target)
            } catch {
                throw StageError(code: "fetch.copy", "cannot copy \(path): \(error.localizedDescription)")
            }
        }
        context.progress(before + size, before + size)
        return size
    }
}
