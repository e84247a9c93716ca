import Foundation
import SluiceEngine
import SluiceFormats
import SluiceTestSupport
import Testing

/// Publishing to a loopback Hugging Face Hub (scripts/services/hub-server.py, which the official
/// `huggingface_hub` client is run against in the cross-checks): a repository with a dataset
/// card, nothing sent twice, faults ridden out, refusals told in the Hub's words, and a
/// repository shared by datasets whose card lists them all.
@Suite(.serialized) struct HubPublisherTests {
    /// A corpus-like folder: `train/chunks` and `test/chunks` shards of `rows` rows, a manifest.
    static func dataset(in folder: String, rows: (train: Int, test: Int), seed: Int32 = 0) throws {
        let schema = ParquetSchema([.scalar("cell_id", .string), .list("input_ids", of: .int32), .scalar("length", .int32)])
        for (split, count) in [("train", rows.train), ("test", rows.test)] {
            try FileManager.default.createDirectory(atPath: folder + "/\(split)/chunks", withIntermediateDirectories: true)
            let writer = try ParquetWriter(path: folder + "/\(split)/chunks/chunk_0000.parquet", schema: schema)
            let ids = (0..<count).map { "\(split)-cell-\($0)" }
            let tokens = (0..<count * 3).map { Int32($0) + seed }
            try writer.write(
                ParquetRowBatch([
                    ParquetColumnData(.string(ParquetStrings(ids))), ParquetColumnData(lists: .int32(tokens), offsets: (0...count).map { $0 * 3 }),
                    ParquetColumnData(.int32(Array(repeating: 3, count: count))),
                ]))
            try writer.close()
        }
        try #"{"source": {"title": "A blood atlas", "organism": "Homo sapiens"}, "vocabulary_sha256": "abc"}"#.write(
            toFile: folder + "/manifest.json", atomically: true, encoding: .utf8)
        try "{}".write(toFile: folder + "/vocab.json", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: folder + "/.checkpoints", withIntermediateDirectories: true)
        try "state".write(toFile: folder + "/.checkpoints/state", atomically: true, encoding: .utf8)
    }

    @Test func aFolderIsPublishedWithItsCardAndNothingIsSentTwice() async throws {
        let folder = try TemporaryDirectory("sluice-hub")
        try Self.dataset(in: folder.file("ds1"), rows: (train: 40, test: 10))
        let hub = try await TestHub.start(store: folder.file("store"))
        defer { Task { await hub.stop() } }
        let publisher = HubPublisher(endpoint: hub.endpoint, token: hub.token, license: "cc-by-4.0")
        let repository = try HubRepository("lab/atlas-ds1")

        let first = try await publisher.publish(folder.file("ds1"), as: "ds1", to: repository, isPrivate: true)
        #expect(first.commit != nil && first.uploaded == 5 && first.unchanged == 0, "\(first)")
        let paths = try await hub.paths(in: "lab/atlas-ds1")
        #expect(
            Set(paths) == [".gitattributes", "README.md", "manifest.json", "vocab.json", "train/chunks/chunk_0000.parquet", "test/chunks/chunk_0000.parquet"],
            "\(paths)")
        let card = String(decoding: try await hub.file("README.md", in: "lab/atlas-ds1") ?? Data(), as: UTF8.self)
        for line in [
            "license: \"cc-by-4.0\"", "pretty_name: \"A blood atlas\"", "    path: \"train/chunks/*.parquet\"", "    path: \"test/chunks/*.parquet\"",
            "  - name: \"input_ids\"\n    sequence: int32", "  - name: test\n    num_examples: 10", "  - name: train\n    num_examples: 40", "- **organism**: Homo sapiens",
        ] {
            #expect(card.contains(line), "the card lacks \(line):\n\(card)")
        }
        let shard = try await hub.file("train/chunks/chunk_0000.parquet", in: "lab/atlas-ds1")
        #expect(shard == (try Data(contentsOf: URL(fileURLWithPath: folder.file("ds1/train/chunks/chunk_0000.parquet")))))

        // Again: the Hub holds every file's content, so nothing is uploaded or committed.
        let before = try await hub.requests().count
        let second = try await publisher.publish(folder.file("ds1"), as: "ds1", to: repository)
        #expect(second.commit == nil && second.uploaded == 0 && second.unchanged == 5, "\(second)")
        let requests = try await hub.requests().dropFirst(before)
        #expect(!requests.contains { $0.hasPrefix("PUT") || $0.contains("/commit/") }, "\(requests)")

        // One shard changes: only it goes, in one commit.
        try Self.dataset(in: folder.file("ds1"), rows: (train: 40, test: 10), seed: 7)
        let mark = try await hub.requests().count
        let third = try await publisher.publish(folder.file("ds1"), as: "ds1", to: repository)
        #expect(third.commit != nil && third.uploaded == 2 && third.unchanged == 3, "\(third)")
        let puts = try await hub.requests().dropFirst(mark).filter { $0.hasPrefix("PUT") }
        #expect(puts.count == 2, "\(puts)")
    }

    @Test func faultsAreRiddenOutAndRefusalsSayTheHubsWords() async throws {
        let folder = try TemporaryDirectory("sluice-hub-faults")
        try Self.dataset(in: folder.file("ds"), rows: (train: 5, test: 2))
        let hub = try await TestHub.start(store: folder.file("store"))
        defer { Task { await hub.stop() } }
        let publisher = HubPublisher(endpoint: hub.endpoint, token: hub.token)
        try await hub.fault("/preupload/", status: 429, count: 2, retryAfter: 1)
        try await hub.fault("/lfs-objects/", status: 503)
        try await hub.fault("/info/lfs/objects/batch", truncate: true)
        let published = try await publisher.publish(folder.file("ds"), as: "ds", to: try HubRepository("lab/faulty"))
        #expect(published.commit != nil)
        let requests = try await hub.requests()
        #expect(requests.filter { $0.contains("/preupload/") }.count == 3, "\(requests)")
        #expect(requests.filter { $0.contains("/objects/batch") }.count == 2, "\(requests)")
        #expect(requests.filter { $0.hasPrefix("PUT /lfs-objects/") }.count == 3, "\(requests)")

        // A refusal is final and carries the Hub's message; the token is in no message.
        try await hub.fault("/commit/", status: 422, error: "Your push was rejected: the repository is over its storage limit")
        try Self.dataset(in: folder.file("ds"), rows: (train: 6, test: 2))
        let refused = await #expect(throws: HubError.self) { try await publisher.publish(folder.file("ds"), as: "ds", to: try HubRepository("lab/faulty")) }
        #expect(refused?.code == .rejected && refused?.message.contains("over its storage limit") == true, "\(String(describing: refused))")
        #expect(refused?.message.contains(hub.token) == false)
        let wrong = HubPublisher(endpoint: hub.endpoint, token: "not-the-token")
        let unauthorized = await #expect(throws: HubError.self) { try await wrong.publish(folder.file("ds"), as: "ds", to: try HubRepository("lab/other")) }
        #expect(unauthorized?.code == .unauthorized && unauthorized?.message.contains("not-the-token") == false, "\(String(describing: unauthorized))")
        #expect(throws: HubError.self) { try HubRepository("no-owner") }
        #expect(throws: HubError.self) { try HubRepository("lab/../etc") }
    }

    @Test func datasetsShareARepositoryInFoldersListedByItsCard() async throws {
        let folder = try TemporaryDirectory("sluice-hub-shared")
        try Self.dataset(in: folder.file("ds1"), rows: (train: 4, test: 1))
        try Self.dataset(in: folder.file("ds2"), rows: (train: 3, test: 2), seed: 9)
        let hub = try await TestHub.start(store: folder.file("store"), pageSize: 3)
        defer { Task { await hub.stop() } }
        let publisher = HubPublisher(endpoint: hub.endpoint, token: hub.token)
        let repository = try HubRepository("lab/atlas")
        // Published at once: one commit may find main moved and go again.
        async let one = publisher.publish(folder.file("ds1"), as: "ds1", to: repository, layout: .folder("ds1"))
        async let two = publisher.publish(folder.file("ds2"), as: "ds2", to: repository, layout: .folder("ds2"))
        _ = try await (one, two)
        let paths = Set(try await hub.paths(in: "lab/atlas"))
        #expect(paths.isSuperset(of: ["README.md", "ds1/README.md", "ds1/train/chunks/chunk_0000.parquet", "ds2/test/chunks/chunk_0000.parquet"]), "\(paths)")
        let card = String(decoding: try await hub.file("README.md", in: "lab/atlas") ?? Data(), as: UTF8.self)
        #expect(card.contains("- config_name: \"ds1\"") && card.contains("- config_name: \"ds2\""), "\(card)")
        #expect(card.contains("    path: \"ds2/test/chunks/*.parquet\""), "\(card)")
    }
}
