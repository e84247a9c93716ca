import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension FetchStage {
    /// The bytes `item`'s sources hold, found out without fetching them: its declared size, else
    /// the sum over its sources of a local file's length (a folder's content) or an HTTP(S)
    /// server's `Content-Length` for a `HEAD` request, the `sra` reserve for a run fetched from
    /// SRA; nil when one of them cannot be told.
    public func sourceBytes(of item: ItemSpec) async -> Int64? {
        if let size = item.size { return size }
        var total: Int64 = 0
        for source in item.sources {
            guard let bytes = await sourceBytes(of: source) else { return nil }
            total += bytes
        }
        return total
    }

    private func sourceBytes(of source: String) async -> Int64? {
        // A run fetched from SRA: what its program may fill.
        if source.hasPrefix("sra:") { return sra?.reserve }
        if let url = URL(string: source), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" {
            var request = HTTPClientRequest(url: source)
            request.method = .HEAD
            guard let response = try? await clients.client(for: source).execute(request, timeout: .seconds(Int64(max(1, timeout)))),
                response.status == .ok
            else { return nil }
            return response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        }
        let path = source.hasPrefix("file://") ? (URL(string: source)?.path ?? source) : source
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return DiskUsage.contentBytes(at: (path as NSString).resolvingSymlinksInPath)
    }
}
