public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One GET with the status and the body (URLSession; plain HTTP on loopback).
public func httpGet(_ url: String) async throws -> (status: Int, data: Data) {
    guard let address = URL(string: url) else { throw ServedSluiceError(description: "not a URL: \(url)") }
    let (data, response) = try await URLSession.shared.data(from: address)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
}
