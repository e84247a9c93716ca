import SluiceFormats

/// Numbers each (stratum, group) pair that cells carry — a *slot* — so a stored value needs only
/// its slot to know both. Without `--stratify` every cell is in stratum 0; cells without a group
/// label get the pair (stratum, −1), since scanpy counts them in every group's rest.
struct SlotTable {
    /// The slot of cells that take no part (no stratum label).
    static let skipped = UInt32.max

    private var slotOfPair: [Int64: UInt32] = [:]
    /// Stratum number of each slot.
    private(set) var stratumOfSlot: [Int32] = []
    /// Group number of each slot (−1: no group label).
    private(set) var groupOfSlot: [Int32] = []
    /// Cells per slot.
    private(set) var cells: [Int] = []

    /// Number of slots.
    var count: Int { cells.count }

    /// The slot of a cell in `stratum` and `group`, counted as one more cell (the stratum must be ≥ 0).
    mutating func addCell(stratum: Int32, group: Int32) -> UInt32 {
        let key = Int64(stratum) << 32 | Int64(UInt32(bitPattern: group))
        if let slot = slotOfPair[key] {
            cells[Int(slot)] += 1
            return slot
        }
        let slot = UInt32(cells.count)
        slotOfPair[key] = slot
        stratumOfSlot.append(stratum)
        groupOfSlot.append(group)
        cells.append(1)
        return slot
    }

    /// No slots yet.
    init() {}

    /// Adds the slots to `archive` (a checkpoint).
    func save(into archive: inout StateArchive) {
        archive.put("slots.strata", stratumOfSlot)
        archive.put("slots.groups", groupOfSlot)
        archive.put("slots.cells", cells)
    }

    /// The slots ``save(into:)`` stored in `archive`, numbered as they were.
    init(restoring archive: StateArchive) throws {
        stratumOfSlot = try archive.array("slots.strata")
        groupOfSlot = try archive.array("slots.groups")
        cells = try archive.array("slots.cells")
        guard stratumOfSlot.count == cells.count, groupOfSlot.count == cells.count else {
            throw AnalysisError(code: "differential.checkpoint", "the checkpoint's slots are inconsistent")
        }
        for slot in cells.indices {
            slotOfPair[Int64(stratumOfSlot[slot]) << 32 | Int64(UInt32(bitPattern: groupOfSlot[slot]))] = UInt32(slot)
        }
    }

    /// The slot of a pair, if any cell has it.
    func slot(stratum: Int32, group: Int32) -> UInt32? {
        slotOfPair[Int64(stratum) << 32 | Int64(UInt32(bitPattern: group))]
    }
}
