import Foundation
import NIOCore
import NIOHTTP1

/// The Hugging Face Hub's HTTP API for dataset repositories, as its official client uses it:
/// create a repository, ask how each file is stored (pre-upload), upload LFS objects through the
/// Git LFS batch API (basic transfer: PUT to the address it gives, then verify), and commit
/// (NDJSON: a header, then one line per file). Requests ride out 429 and 5xx (``ServiceClient``);
/// refusals become ``HubError``s with the Hub's message. The token goes only into the
/// `Authorization` header, never into a message.
struct HubClient: Sendable {
    /// How the Hub stores a file, and the id of what it holds at its path now.
    struct Placement: Sendable {
        /// True: in LFS (named by SHA-256); false: in Git (named by its blob id).
        var isLFS: Bool
        /// The stored file's SHA-256 (LFS) or Git blob id; nil when there is none.
        var remoteID: String?
    }

    /// An LFS transfer to make: where to PUT the bytes, and where to confirm them.
    struct Transfer: Sendable {
        var upload: Action
        var verify: Action?
    }

    /// One address of an LFS transfer, with the headers to send to it.
    struct Action: Sendable, Decodable {
        var href: String
        var header: [String: String]?
    }

    /// One change of a commit.
    enum Change: Sendable {
        /// A file kept in Git, with its content.
        case file(path: String, content: Data)
        /// A file kept in LFS, already uploaded.
        case lfsFile(path: String, sha256: String, size: Int64)
    }

    /// The Hub's address, without a trailing slash.
    var endpoint: String
    var token: String
    var service: ServiceClient

    /// Creates the dataset repository; one that exists already is fine (its settings stay).
    func createRepository(_ repository: HubRepository, isPrivate: Bool) async throws {
        let body: [String: Any] = [
            "name": repository.name, "organization": repository.owner, "type": "dataset", "private": isPrivate,
            "visibility": isPrivate ? "private" : "public",
        ]
        _ = try await send(.POST, "/api/repos/create", json: body, doing: "creating \(repository)", allowing: [409])
    }

    /// How the Hub will store each of `files`, and what it holds at their paths now.
    func placements(of files: [HubFile], in repository: HubRepository) async throws -> [String: Placement] {
        var placements: [String: Placement] = [:]
        for chunk in files.chunked(256) {
            let body: [String: Any] = [
                "files": chunk.map { ["path": $0.path, "sample": $0.sample.base64EncodedString(), "size": $0.size] as [String: Any] }
            ]
            let answer = try await send(.POST, "/api/datasets/\(repository.id)/preupload/main", json: body, doing: "preparing the upload to \(repository)")
            struct Preupload: Decodable {
                struct File: Decodable {
                    var path: String
                    var uploadMode: String
                    var oid: String?
                }
                var files: [File]
            }
            let decoded = try decode(Preupload.self, answer, doing: "preparing the upload to \(repository)")
            for file in decoded.files { placements[file.path] = Placement(isLFS: file.uploadMode == "lfs", remoteID: file.oid) }
        }
        for file in files where placements[file.path] == nil {
            throw HubError(.badResponse, "the Hub's pre-upload answer for \(repository) says nothing of \(file.path)")
        }
        return placements
    }

    /// The LFS transfers `files` need: none for an object the Hub already stores.
    func transfers(for files: [HubFile], in repository: HubRepository) async throws -> [String: Transfer] {
        var transfers: [String: Transfer] = [:]
        for chunk in files.chunked(100) {
            let body: [String: Any] = [
                "operation": "upload", "transfers": ["basic"], "hash_algo": "sha256", "ref": ["name": "main"],
                "objects": chunk.map { ["oid": $0.sha256, "size": $0.size] as [String: Any] },
            ]
            let answer = try await send(
                .POST, "/datasets/\(repository.id).git/info/lfs/objects/batch", json: body, doing: "asking where to upload to \(repository)",
                contentType: "application/vnd.git-lfs+json")
            struct Batch: Decodable {
                struct Object: Decodable {
                    struct Actions: Decodable {
                        var upload: Action?
                        var verify: Action?
                    }
                    struct Problem: Decodable {
                        var message: String?
                    }
                    var oid: String
                    var actions: Actions?
                    var error: Problem?
                }
                var objects: [Object]
            }
            for object in try decode(Batch.self, answer, doing: "asking where to upload to \(repository)").objects {
                if let problem = object.error {
                    throw HubError(.rejected, "the Hub refused the object \(object.oid) for \(repository): \(problem.message ?? "no reason given")")
                }
                if let upload = object.actions?.upload { transfers[object.oid] = Transfer(upload: upload, verify: object.actions?.verify) }
            }
        }
        return transfers
    }

    /// Uploads `file`'s bytes as `transfer` says, then confirms them.
    func upload(_ file: HubFile, _ transfer: Transfer, to repository: HubRepository) async throws {
        let body: ServiceClient.Body =
            if let localPath = file.localPath { .file(path: localPath, size: file.size) } else { .bytes(ByteBuffer(bytes: file.content ?? Data())) }
        let headers = (transfer.upload.header ?? [:]).map { ($0.key, $0.value) }
        _ = try await send(.PUT, absolute: transfer.upload.href, headers: headers, body: body, doing: "uploading \(file.path) to \(repository)")
        if let verify = transfer.verify {
            let confirm = try JSONSerialization.data(withJSONObject: ["oid": file.sha256, "size": file.size])
            let headers = (verify.header ?? [:]).map { ($0.key, $0.value) } + [("Content-Type", "application/vnd.git-lfs+json")]
            _ = try await send(.POST, absolute: verify.href, headers: headers, body: .bytes(ByteBuffer(bytes: confirm)), doing: "confirming \(file.path) on \(repository)")
        }
    }

    /// Commits `changes` to `main` with `summary`; with `parent`, only while `main` is still at
    /// that commit (else `nil`: someone committed in between). Returns the commit's address.
    func commit(_ changes: [Change], summary: String, to repository: HubRepository, parent: String? = nil) async throws -> String? {
        var header: [String: Any] = ["summary": summary]
        if let parent { header["parentCommit"] = parent }
        var lines = [try JSONSerialization.data(withJSONObject: ["key": "header", "value": header])]
        for change in changes {
            let line: [String: Any] =
                switch change {
                case .file(let path, let content):
                    ["key": "file", "value": ["path": path, "content": content.base64EncodedString(), "encoding": "base64"]]
                case .lfsFile(let path, let sha256, let size):
                    ["key": "lfsFile", "value": ["path": path, "algo": "sha256", "oid": sha256, "size": size]]
                }
            lines.append(try JSONSerialization.data(withJSONObject: line))
        }
        let body = lines.reduce(into: Data()) { $0.append($1 + Data("\n".utf8)) }
        let answer = try await send(
            .POST, absolute: endpoint + "/api/datasets/\(repository.id)/commit/main", headers: [("Content-Type", "application/x-ndjson")] + authorization,
            body: .bytes(ByteBuffer(bytes: body)), doing: "committing to \(repository)", allowing: parent == nil ? [] : [409, 412])
        if answer.status == 409 || answer.status == 412 { return nil }
        struct Commit: Decodable {
            var commitUrl: String
        }
        return try decode(Commit.self, answer, doing: "committing to \(repository)").commitUrl
    }

    /// The commit `main` is at and the paths of every file in it.
    func contents(of repository: HubRepository) async throws -> (commit: String, paths: [String]) {
        let answer = try await send(.GET, absolute: endpoint + "/api/datasets/\(repository.id)/revision/main", headers: authorization, body: .none, doing: "reading \(repository)")
        struct Info: Decodable {
            struct Sibling: Decodable {
                var rfilename: String
            }
            var sha: String
            var siblings: [Sibling]?
        }
        let info = try decode(Info.self, answer, doing: "reading \(repository)")
        return (info.sha, (info.siblings ?? []).map(\.rfilename))
    }

    // MARK: - Requests

    private var authorization: [(String, String)] { [("Authorization", "Bearer \(token)")] }

    private func send(
        _ method: HTTPMethod, _ path: String, json: [String: Any], doing what: String, contentType: String = "application/json", allowing: Set<Int> = []
    ) async throws -> ServiceClient.Answer {
        let body = try JSONSerialization.data(withJSONObject: json)
        let headers = [("Content-Type", contentType), ("Accept", contentType)] + authorization
        return try await send(method, absolute: endpoint + path, headers: headers, body: .bytes(ByteBuffer(bytes: body)), doing: what, allowing: allowing)
    }

    /// Sends a request; an answer outside 2xx and `allowing` is thrown as the Hub's refusal.
    private func send(
        _ method: HTTPMethod, absolute url: String, headers: [(String, String)], body: ServiceClient.Body, doing what: String, allowing: Set<Int> = []
    ) async throws -> ServiceClient.Answer {
        let request = ServiceClient.Request(method: method, url: url, headers: headers, body: body)
        do {
            return try await service.exchange(request) { answer in
                if (200...299).contains(answer.status) || allowing.contains(answer.status) { return answer }
                let reason = Self.message(of: answer)
                switch answer.status {
                case 401, 403:
                    throw HubError(.unauthorized, "the Hub refused the token while \(what) (HTTP \(answer.status)): \(reason)")
                default:
                    throw HubError(.rejected, "the Hub refused \(what) (HTTP \(answer.status)): \(reason)")
                }
            }
        } catch let failure as ServiceClient.Failure {
            throw HubError(.unreachable, failure.message)
        }
    }

    private func decode<Value: Decodable>(_ type: Value.Type, _ answer: ServiceClient.Answer, doing what: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(answer.body.readableBytesView))
        } catch {
            throw HubError(.badResponse, "the Hub's answer while \(what) is not what its API documents (\(answer.body.readableBytes) bytes)")
        }
    }

    /// The Hub's reason for a refusal: its `X-Error-Message`, the answer's `error`, or its text.
    private static func message(of answer: ServiceClient.Answer) -> String {
        if let message = answer.headers.first(name: "X-Error-Message"), !message.isEmpty { return message }
        if let object = try? JSONSerialization.jsonObject(with: Data(answer.body.readableBytesView)) as? [String: Any],
            let error = object["error"] as? String
        {
            return error
        }
        let text = answer.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "no reason given" : String(text.prefix(300))
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    fileprivate func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
