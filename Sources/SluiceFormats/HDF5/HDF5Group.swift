internal import CHDF5

/// A group: a named container of groups and datasets.
final class HDF5Group: HDF5Object, Sendable {
    let file: HDF5File
    let handle: HDF5Handle
    let name: String

    /// What a name inside a group refers to.
    enum MemberKind { case group, dataset, other }

    init(file: HDF5File, handle: HDF5Handle, name: String) {
        self.file = file
        self.handle = handle
        self.name = name
    }

    /// The full name of the member `member` (which may be a relative path like `X/data`).
    func childName(_ member: String) -> String {
        name == "/" ? "/" + member : name + "/" + member
    }

    /// What `member` (a name or a relative path) is, or `nil` when it does not exist.
    func kind(of member: String) -> MemberKind? {
        // H5Lexists must be asked one path component at a time.
        var prefix = ""
        for component in member.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            guard (HDF5Library.attempt { H5Lexists(handle.id, prefix, sluice_H5P_DEFAULT()) } ?? 0) > 0 else { return nil }
        }
        guard let object = HDF5Library.attempt({ H5Oopen(handle.id, member, sluice_H5P_DEFAULT()) }) else { return nil }
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Whether `member` exists.
    func contains(_ member: String) -> Bool { kind(of: member) != nil }

    /// Opens the subgroup `member`.
    func group(_ member: String) throws -> HDF5Group {
        try require(member, .group)
        let id = try HDF5Library.call(path, "opening group \(childName(member))") { H5Gopen2(handle.id, member, sluice_H5P_DEFAULT()) }
        return HDF5Group(file: file, handle: HDF5Handle(id, .group), name: childName(member))
    }

    /// Opens the dataset `member`.
    func dataset(_ member: String) throws -> HDF5Dataset {
        try require(member, .dataset)
        let id = try HDF5Library.call(path, "opening dataset \(childName(member))") { H5Dopen2(handle.id, member, sluice_H5P_DEFAULT()) }
        let dataset = HDF5Dataset(file: file, handle: HDF5Handle(id, .dataset), name: childName(member))
        try dataset.checkExtentIsStored()
        return dataset
    }

    /// The names of the group's direct members, in name order.
    func memberNames() throws -> [String] {
        var info = H5G_info_t()
        try HDF5Library.call(path, "listing group \(name)") { H5Gget_info(handle.id, &info) }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let size = H5Lget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, sluice_H5P_DEFAULT())
            guard size >= 0 else { continue }
            var buffer = [CChar](repeating: 0, count: Int(size) + 1)
            _ = H5Lget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, sluice_H5P_DEFAULT())
            names.append(String(nullTerminated: buffer))
        }
        return names
    }

    private func require(_ member: String, _ expected: MemberKind) throws {
        guard let actual = kind(of: member) else {
            throw FormatError(.missingObject, path: path, "has no \(expected == .group ? "group" : "dataset") \(childName(member))")
        }
        guard actual == expected else {
            let what = actual == .group ? "a group" : actual == .dataset ? "a dataset" : "neither a group nor a dataset"
            throw FormatError(
                .unsupportedEncoding, path: path,
                "\(childName(member)) is \(what), where a \(expected == .group ? "group" : "dataset") was expected")
        }
    }

    // MARK: Writing

    /// Removes the link `member` (the space it used is not reclaimed until the file is repacked).
    func unlink(_ member: String) throws {
        try HDF5Library.call(path, "removing \(childName(member))") { H5Ldelete(handle.id, member, sluice_H5P_DEFAULT()) }
    }

    /// A creation property list of `kind` whose objects record no access, change or
    /// modification times: HDF5 stamps them by default, and then two runs that write the same
    /// content give different bytes.
    static func untimed(_ kind: hid_t) throws -> HDF5Handle {
        let properties = HDF5Handle(H5Pcreate(kind), .propertyList)
        try HDF5Library.call("(property list)", "turning off object times") { H5Pset_obj_track_times(properties.id, false) }
        return properties
    }

    /// Creates the subgroup `member`.
    func createGroup(_ member: String) throws -> HDF5Group {
        let properties = try Self.untimed(sluice_H5P_GROUP_CREATE())
        let id = try HDF5Library.call(path, "creating group \(childName(member))") {
            H5Gcreate2(handle.id, member, sluice_H5P_DEFAULT(), properties.id, sluice_H5P_DEFAULT())
        }
        return HDF5Group(file: file, handle: HDF5Handle(id, .group), name: childName(member))
    }

    /// Creates a 1-D (or 2-D) dataset of `storage`'s element type.
    ///
    /// With `extendable`, the first dimension is unlimited and the dataset starts with
    /// `shape[0]` rows (typically 0) so that ``HDF5Dataset/append(_:)`` can grow it.
    func createDataset(
        _ member: String, storage: HDF5StorageType, shape: [Int], extendable: Bool = false,
        chunkRows: Int? = nil, gzipLevel: Int? = nil
    ) throws -> HDF5Dataset {
        let dims = shape.map { hsize_t($0) }
        var maxDims = dims
        if extendable { maxDims[0] = sluice_H5S_UNLIMITED() }
        let space = HDF5Handle(H5Screate_simple(Int32(dims.count), dims, maxDims), .dataspace)
        let properties = try Self.untimed(sluice_H5P_DATASET_CREATE())
        let rows = max(1, shape.first ?? 1)
        if extendable || gzipLevel != nil || chunkRows != nil {
            var chunk = dims.map { max(1, $0) }
            chunk[0] = hsize_t(max(1, chunkRows ?? min(rows, 65_536)))
            try HDF5Library.call(path, "setting chunks of \(childName(member))") {
                H5Pset_chunk(properties.id, Int32(chunk.count), chunk)
            }
            if let level = gzipLevel {
                try HDF5Library.call(path, "setting gzip on \(childName(member))") { H5Pset_deflate(properties.id, UInt32(level)) }
            }
        }
        let type = HDF5Handle(storage.makeType(), .datatype)
        let id = try HDF5Library.call(path, "creating dataset \(childName(member))") {
            H5Dcreate2(handle.id, member, type.id, space.id, sluice_H5P_DEFAULT(), properties.id, sluice_H5P_DEFAULT())
        }
        return HDF5Dataset(file: file, handle: HDF5Handle(id, .dataset), name: childName(member))
    }
}
