import Foundation
import SluiceEngine
public import SluiceFormats
import SluiceKernels

/// `sluice analyze pseudobulk`: one streaming pass over any ``CellSource`` that sums every gene
/// over the cells of each group (the combination of the `--by` labels), counts the cells
/// expressing it, and filters groups as decoupler's `get_pseudobulk` does.
///
/// Numbers reproduce `scanpy.get.aggregate(adata, by, func=["sum", "mean", "count_nonzero"])` on
/// the cells whose labels are all present (checked against scanpy in
/// `Tests/Fixtures/pseudobulk`, made by `scripts/reference/make_pseudobulk_reference.py`); the
/// filters keep a group when `cells ≥ minCells` and `counts ≥ minCounts` (decoupler drops it when
/// `ncell < min_cells or count < min_counts`; unlike decoupler, 0 switches a filter off).
///
/// Memory: one chunk of cells, plus 12 bytes × groups × genes (Double sums and Int32 counts), plus
/// 8 bytes × groups × genes × replicates with `--bootstrap` — never the matrix. Cells are added in
/// file order, so the output is the same for every chunk size.
public struct PseudobulkAggregator {
    public let options: PseudobulkOptions
    /// Called with (cells done, cells in the file) after each chunk.
    public var progress: (Int, Int) -> Void = { _, _ in }
    /// Where the pass records its state every ``AnalysisCheckpoint/interval`` (after a whole
    /// chunk), and resumes from when the state is there: the groups, their accumulators and the
    /// cells done. A resumed run's result is the same, value for value.
    public var checkpoint: AnalysisCheckpoint?
    /// Called with a sentence when the run resumes from a checkpoint or skips one.
    public var note: (String) -> Void = { _ in }

    public init(options: PseudobulkOptions) {
        self.options = options
    }

    /// Reads every cell of `source` once and returns the groups and their sums.
    public func run(_ source: any CellSource) throws -> PseudobulkResult {
        var grouping = PseudobulkGrouping(columns: try keyColumns(of: source))
        let genes = source.geneCount
        var accumulator = PseudobulkAccumulator(geneCount: genes)
        let scheme =
            options.bootstrapReplicates > 0 ? PoissonBootstrap(seed: options.seed, replicates: options.bootstrapReplicates) : nil
        var replicates = scheme.map { BootstrapAccumulator(bootstrap: $0, geneCount: genes) }
        let bytesPerGroup =
            PseudobulkAccumulator.bytesPerGroup(geneCount: genes)
            + (scheme.map { BootstrapAccumulator.bytesPerGroup(geneCount: genes, replicates: $0.replicates) } ?? 0)

        var resumeAt = 0
        if let checkpoint, let archive = try checkpoint.load() {
            resumeAt = try archive.json("cells", as: Int.self)
            try grouping.restore(archive.json("grouping"))
            accumulator = try PseudobulkAccumulator(restoring: archive, prefix: "groups", geneCount: genes)
            replicates = try scheme.map {
                try BootstrapAccumulator(restoring: archive, prefix: "bootstrap", bootstrap: $0, geneCount: genes, groups: accumulator.groupCount)
            }
            guard accumulator.groupCount == grouping.groupCount, resumeAt % options.chunkSize == 0, resumeAt <= source.cellCount else {
                throw AnalysisError(code: "pseudobulk.checkpoint", "the checkpoint \(checkpoint.file) is inconsistent; delete it to start afresh")
            }
            note("resuming at cell \(resumeAt) of \(source.cellCount) (\(accumulator.groupCount) groups) from the checkpoint \(checkpoint.file)")
        }
        var lastCheckpoint = ContinuousClock.now
        var skipped = false

        for range in source.batchRanges(size: options.chunkSize) where range.lowerBound >= resumeAt {
            let batch = try source.read(cells: range)
            let groups = try grouping.assign(batch.obs, cells: range)
            while accumulator.groupCount < grouping.groupCount {
                let needed = (accumulator.groupCount + 1) * bytesPerGroup
                guard needed <= options.accumulatorMemoryLimit else {
                    throw AnalysisError(
                        code: "pseudobulk.memory",
                        "\(accumulator.groupCount + 1) groups × \(genes) genes\(scheme.map { " × \($0.replicates) bootstrap replicates" } ?? "") need \(Self.gigabytes(needed)) of accumulators, more than the \(Self.gigabytes(options.accumulatorMemoryLimit)) allowed; group by fewer columns, use fewer replicates, or raise --max-memory"
                    )
                }
                accumulator.addGroup()
                replicates?.addGroup()
            }
            accumulator.add(batch.matrix, groups: groups)
            replicates?.add(batch.matrix, groups: groups, firstCell: range.lowerBound)
            progress(range.upperBound, source.cellCount)
            if let checkpoint, range.upperBound < source.cellCount, ContinuousClock.now - lastCheckpoint >= checkpoint.interval {
                var archive = StateArchive()
                try archive.put("cells", json: range.upperBound)
                try archive.put("grouping", json: grouping.state)
                accumulator.save(into: &archive, prefix: "groups")
                replicates?.save(into: &archive, prefix: "bootstrap")
                if try checkpoint.save(archive) == nil, !skipped {
                    skipped = true
                    note(
                        "checkpoints skipped from cell \(range.upperBound): the state of \(accumulator.groupCount) groups (\(ByteSize.format(Int64(archive.byteCount)))) does not fit twice in the \(ByteSize.format(checkpoint.limit ?? 0)) kept for checkpoints"
                    )
                }
                lastCheckpoint = ContinuousClock.now
            }
        }

        let missing = grouping.columns.map { (column: $0.name, cells: $0.missingCells) }
        guard grouping.groupCount > 0 else {
            let detail = missing.filter { $0.cells > 0 }.map { "\($0.column): \($0.cells)" }.joined(separator: ", ")
            throw AnalysisError(
                code: "pseudobulk.no-cells",
                source.cellCount == 0
                    ? "\(source.path) has no cells"
                    : "none of the \(source.cellCount) cells of \(source.path) has every --by label (\(options.by.joined(separator: ", "))); missing labels per column: \(detail)"
            )
        }

        // Order: by each key column's label order in turn; then name, filter, and keep.
        let order = (0..<grouping.groupCount).sorted {
            grouping.order(ofGroup: $0).lexicographicallyPrecedes(grouping.order(ofGroup: $1))
        }
        var names = Set<String>()
        var groups: [PseudobulkGroup] = []
        for g in order {
            let labels = grouping.labels(ofGroup: g)
            let joined = labels.joined(separator: "_")
            var name = joined
            var suffix = 0
            while !names.insert(name).inserted {
                suffix += 1
                name = "\(joined)-\(suffix)"
            }
            let cells = accumulator.cellCounts[g]
            let counts = accumulator.totalCounts[g]
            let kept = cells >= options.minCells && counts >= options.minCounts
            groups.append(PseudobulkGroup(name: name, labels: labels, cells: cells, totalCounts: counts, kept: kept))
        }
        let keptOrder = zip(order, groups).filter { $0.1.kept }.map(\.0)
        guard !keptOrder.isEmpty else {
            let cells = groups.map(\.cells).max() ?? 0
            let counts = groups.map(\.totalCounts).max() ?? 0
            throw AnalysisError(
                code: "pseudobulk.empty",
                "none of the \(groups.count) groups has at least \(options.minCells) cells and \(TextTableFile.number(options.minCounts)) counts (the largest group has \(cells) cells; the most counts in a group are \(TextTableFile.number(counts))); lower --min-cells or --min-counts"
            )
        }
        let keyNames = grouping.columns.map { column in column.mapping.map { "\(column.name)_\($0.level)" } ?? column.name }
        return PseudobulkResult(
            keyColumns: keyNames, genes: source.genes, groups: groups,
            sums: keptOrder.map { accumulator.sums[$0] }, nonzeroCells: keptOrder.map { accumulator.nonzeroCells[$0] },
            bootstrap: replicates.map { replicates in keptOrder.map { replicates.summary(group: $0) } }, bootstrapScheme: scheme,
            cells: source.cellCount, droppedCells: grouping.droppedCells, missingLabels: missing,
            keptGroups: groups.filter(\.kept))
    }

    /// The `--by` columns, checked against the source's obs, with the hierarchy on its column.
    private func keyColumns(of source: any CellSource) throws -> [ColumnLabels] {
        let available = source.cellMetadataSchema.map(\.name)
        guard !options.by.isEmpty else {
            throw AnalysisError(
                code: "pseudobulk.no-columns", "--by needs at least one obs column; \(source.path) has \(Self.list(available))")
        }
        guard Set(options.by).count == options.by.count else {
            throw AnalysisError(
                code: "pseudobulk.duplicate-column", "--by names a column twice (\(options.by.joined(separator: ",")))")
        }
        for name in options.by where !available.contains(name) {
            throw AnalysisError(
                code: "pseudobulk.unknown-column",
                "\(source.path) has no obs column '\(name)'; its columns are \(Self.list(available))")
        }
        var mapping: CellTypeHierarchy.Mapping?
        if let choice = options.hierarchy {
            guard options.by.contains(choice.column) else {
                throw AnalysisError(
                    code: "pseudobulk.hierarchy-column",
                    "the hierarchy relabels '\(choice.column)', which is not one of the --by columns (\(options.by.joined(separator: ", ")))"
                )
            }
            mapping = try choice.hierarchy.mapping(to: choice.level)
        }
        return options.by.map { name in
            name == options.hierarchy?.column
                ? ColumnLabels(name: name, mapping: mapping, hierarchyPath: options.hierarchy?.hierarchy.path)
                : ColumnLabels(name: name)
        }
    }

    private static func list(_ names: [String]) -> String {
        names.isEmpty ? "none" : names.joined(separator: ", ")
    }

    private static func gigabytes(_ bytes: Int) -> String {
        String(format: "%.1f GiB", Double(bytes) / Double(1 << 30))
    }
}
