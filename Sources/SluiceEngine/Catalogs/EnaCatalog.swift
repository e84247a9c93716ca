import Foundation

/// An `ena:` entry of `items:`, resolved through the ENA Portal API's file report
/// (`/filereport?result=read_run`), page by page: one item per run, named by its run accession,
/// with every FASTQ file (both mates of paired reads) at its HTTPS address, the files' sizes
/// summed, each file's MD5 checked when fetched, and the report's other columns as metadata. A
/// run ENA has no FASTQ for becomes an item whose source is `sra:RUN`, which the fetch stage
/// refuses with a sentence pointing to `fasterq-dump`.
public struct EnaCatalog: ItemCatalog {
    /// What the entry asks for.
    public var query: EnaQuery
    /// Where the entry is in the pipeline file, for messages.
    public var line: Int?
    /// Rows asked for per request (the report's `limit`; tests make it small).
    public var page = 1000

    public init(query: EnaQuery, line: Int?) {
        self.query = query
        self.line = line
    }

    public var key: String { Self.key("ena", query) }

    public var label: String { Self.label("ena", line: line) }

    public func resolve() async throws -> [ItemSpec] {
        try await CatalogClient.session("the ENA Portal API", base: query.api, caFile: query.caFile, label: label, resolve(with:))
    }

    private func resolve(with client: CatalogClient) async throws -> [ItemSpec] {
        var items: [ItemSpec] = []
        var seen = Set<String>()
        for accession in query.accessions {
            var offset = 0
            var found = 0
            while true {
                let fields = EnaQuery.fields.joined(separator: ",")
                let rows = try await client.get(
                    "/filereport?accession=\(accession)&result=read_run&fields=\(fields)&format=json&limit=\(page)&offset=\(offset)",
                    as: [[String: String]].self, emptyAs: "[]")
                var new = 0
                for row in rows {
                    guard let run = row["run_accession"], !run.isEmpty else {
                        throw CatalogError(.badResponse, "the ENA Portal API's report for \(accession) has a row without run_accession")
                    }
                    found += 1
                    if seen.insert(run).inserted {
                        items.append(try item(run: run, row: row))
                        new += 1
                    }
                }
                // A short page is the last; so is a full one with nothing new (a server that
                // ignores offset would otherwise be asked for ever).
                if rows.count < page || (offset > 0 && new == 0) { break }
                offset += rows.count
            }
            guard found > 0 else { throw CatalogError(.notFound, "\(label): ENA has no sequencing runs for \(accession)") }
        }
        return items
    }

    /// The item of one report row.
    private func item(run: String, row: [String: String]) throws -> ItemSpec {
        func list(_ field: String) -> [String] {
            (row[field] ?? "").split(separator: ";", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        var metadata = row.filter { !$0.key.hasPrefix("fastq_") && !$0.value.isEmpty }
        let group = row[query.groupBy].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
        let paths = list("fastq_ftp").filter { !$0.isEmpty }
        guard !paths.isEmpty else {
            metadata["fastq"] = "none"
            return ItemSpec(name: run, sources: ["sra:" + run], group: group, metadata: metadata)
        }
        let sources = paths.map { $0.contains("://") ? $0 : "https://" + $0 }
        let bytes = list("fastq_bytes").compactMap { Int64($0) }
        var item = ItemSpec(name: run, sources: sources, size: bytes.count == sources.count ? bytes.reduce(0, +) : nil, group: group, metadata: metadata)
        let digests = list("fastq_md5")
        if digests.count == sources.count, let problem = item.setChecksums(digests, .md5) {
            throw CatalogError(.badResponse, "the ENA Portal API's report for \(run): \(problem)")
        }
        return item
    }
}
