import SluiceKernels

/// Which groups are compared with what, in which strata, checked against scanpy's rules once
/// the cells' labels are known (after the first pass).
///
/// scanpy's order is kept: strata in their column's order, groups in `--groups` order or the
/// column's category order; a reference listed among the groups is not reported. scanpy refuses
/// a selected group (or the reference) with fewer than two cells; so does an unstratified run.
/// Within a stratum such groups are skipped instead (scanpy run on the stratum's cells would drop
/// an absent category and refuse a single cell), and noted.
struct ComparisonPlan {
    /// One group tested against the rest of its stratum or against the reference.
    struct Comparison {
        /// The stratum's labels, one per `--stratify` column (none without).
        var stratumLabels: [String]
        var groupLabel: String
        var groupSlot: UInt32
        /// The reference's slot; `nil`: every other cell of the stratum.
        var referenceSlot: UInt32?
        var groupCells: Int
        /// Cells on the other side (rest or reference).
        var otherCells: Int
        /// Slots whose values make the other side's mean and variance.
        var otherSlots: [UInt32]
    }

    /// A set of cells ranked apart from the others.
    struct Stratum {
        /// Every slot of the stratum (the "rest" ranking covers them all).
        var slots: [UInt32]
        var cells: Int
        /// Indices into ``ComparisonPlan/comparisons``.
        var comparisons: [Int]
        var referenceSlot: UInt32?
        /// The compared groups' slots (reference mode).
        var groupSlots: [UInt32]
    }

    var comparisons: [Comparison] = []
    var strata: [Stratum] = []
    /// Position in ``strata`` of each slot's stratum (−1: not analysed).
    var stratumIndexOfSlot: [Int32]
    var notes: [String] = []
    let referenceLabel: String

    init(grouping: GroupingColumn, stratification: Strata?, slots: SlotTable, options: DifferentialOptions, path: String) throws {
        referenceLabel = options.reference ?? "rest"
        stratumIndexOfSlot = [Int32](repeating: -1, count: slots.count)
        let column = grouping.name
        let known = grouping.orderedNumbers().map { grouping.labels[Int($0)] }
        func number(_ label: String, what: String) throws -> Int32 {
            guard let value = grouping.number(ofExisting: label) else {
                throw AnalysisError(
                    code: "differential.unknown-\(what)",
                    "\(what) '\(label)' is not a label of '\(column)' in \(path) (labels: \(Self.list(known)))")
            }
            return value
        }
        let reference = try options.reference.map { try number($0, what: "reference") }
        var selected = try options.groups.map { try $0.map { try number($0, what: "group") } } ?? grouping.orderedNumbers()
        var seen = Set<Int32>()
        selected = selected.filter { seen.insert($0).inserted }

        if options.minCells > 0 {
            let smallest = max(2, options.minCells)
            let tiny = selected.filter { $0 != reference && grouping.cellCounts[Int($0)] < smallest }
            if !tiny.isEmpty {
                let described = tiny.map { "'\(grouping.labels[Int($0)])' (\(grouping.cellCounts[Int($0)]))" }.joined(separator: ", ")
                notes.append("skipped \(tiny.count) group\(tiny.count == 1 ? "" : "s") of '\(column)' with fewer than \(smallest) cells (--min-cells): \(described)")
                selected = selected.filter { !tiny.contains($0) }
            }
        }
        if stratification == nil {
            let required = selected + (reference.map { [$0] } ?? [])
            let small = required.filter { grouping.cellCounts[Int($0)] < 2 }
            if !small.isEmpty {
                let described = small.map { number -> String in
                    let cells = grouping.cellCounts[Int(number)]
                    return "'\(grouping.labels[Int(number)])' (\(cells) cell\(cells == 1 ? "" : "s"))"
                }
                throw AnalysisError(
                    code: "differential.small-group",
                    "group \(described.joined(separator: ", ")) of '\(column)' has fewer than 2 cells, which scanpy's rank_genes_groups cannot test; choose other groups with --groups")
            }
        }

        let compared = selected.filter { $0 != reference }
        // Groups that hold every cell of their stratum: compared with the rest, nothing is left.
        var wholeGroups: [String] = []
        let strataNumbers = stratification.map { $0.orderedNumbers() } ?? [0]
        for stratumNumber in strataNumbers {
            let stratumLabels = stratification?.labels(of: stratumNumber) ?? []
            let stratumLabel = stratification == nil ? nil : stratumLabels.joined(separator: " / ")
            let members = (0..<slots.count).filter { slots.stratumOfSlot[$0] == stratumNumber }.map { UInt32($0) }
            let cells = members.reduce(0) { $0 + slots.cells[Int($1)] }
            func cellsOf(_ group: Int32) -> (slot: UInt32?, cells: Int) {
                guard let slot = slots.slot(stratum: stratumNumber, group: group) else { return (nil, 0) }
                return (slot, slots.cells[Int(slot)])
            }
            var referenceSlot: UInt32?
            if let reference {
                let (slot, count) = cellsOf(reference)
                guard let slot, count >= 2 else {
                    if let stratumLabel, count > 0 {
                        notes.append("stratum '\(stratumLabel)': skipped, the reference '\(referenceLabel)' has \(count) cell there")
                    }
                    continue
                }
                referenceSlot = slot
            }
            var stratum = Stratum(slots: members, cells: cells, comparisons: [], referenceSlot: referenceSlot, groupSlots: [])
            for group in compared {
                let (slot, count) = cellsOf(group)
                guard let slot, count >= max(2, options.minCells) else {
                    if let stratumLabel, count > 0 {
                        notes.append("stratum '\(stratumLabel)': skipped group '\(grouping.labels[Int(group)])', which has \(count) cell\(count == 1 ? "" : "s") there")
                    }
                    continue
                }
                if referenceSlot == nil, count == cells {
                    let label = grouping.labels[Int(group)]
                    wholeGroups.append(label)
                    notes.append("\(stratumLabel.map { "stratum '\($0)': " } ?? "")skipped group '\(label)', which holds every cell, so its rest is empty")
                    continue
                }
                let other: (cells: Int, slots: [UInt32])
                if let referenceSlot {
                    other = (slots.cells[Int(referenceSlot)], [referenceSlot])
                    stratum.groupSlots.append(slot)
                } else {
                    other = (cells - count, members.filter { $0 != slot })
                }
                stratum.comparisons.append(comparisons.count)
                comparisons.append(
                    Comparison(
                        stratumLabels: stratumLabels, groupLabel: grouping.labels[Int(group)], groupSlot: slot,
                        referenceSlot: referenceSlot, groupCells: count, otherCells: other.cells, otherSlots: other.slots))
            }
            if stratum.comparisons.isEmpty { continue }
            for slot in members { stratumIndexOfSlot[Int(slot)] = Int32(strata.count) }
            strata.append(stratum)
        }
        guard !comparisons.isEmpty else {
            if let whole = wholeGroups.first {
                throw AnalysisError(
                    code: "differential.empty-rest",
                    "every cell of '\(column)' in \(path) is in group '\(whole)': compared with the rest there is nothing to compare it with (the rest is empty); use a column with two groups or more")
            }
            throw AnalysisError(
                code: "differential.nothing-to-compare",
                "no group of '\(column)' in \(path) has the 2 or more cells a comparison needs\(stratification.map { " within a '\($0.name)' stratum" } ?? "")")
        }
        if grouping.missingCells > 0 {
            let fate = reference == nil ? "they count in every group's rest, as in scanpy" : "they are left out"
            notes.append("\(grouping.missingCells) cells have no '\(column)' label; \(fate)")
        }
        if let stratification, stratification.missingCells > 0 {
            notes.append("\(stratification.missingCells) cells have no '\(stratification.name)' label and are left out")
        }
    }

    /// Whether every slot is ranked in a single stratum (no partition by stratum needed).
    var isSingleStratum: Bool { strata.count == 1 && !stratumIndexOfSlot.contains(-1) }

    private static func list(_ labels: [String]) -> String {
        labels.count <= 20 ? labels.joined(separator: ", ") : labels.prefix(20).joined(separator: ", ") + ", … (\(labels.count) in all)"
    }
}
