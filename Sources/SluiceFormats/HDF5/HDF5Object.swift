internal import CHDF5

/// A group or dataset: something that lives in a file, has a name, and carries attributes.
protocol HDF5Object {
    var file: HDF5File { get }
    var handle: HDF5Handle { get }
    /// The object's full name inside the file (e.g. `/obs/cell_type`), for messages.
    var name: String { get }
}

extension HDF5Object {
    /// The file path, for messages.
    var path: String { file.path }

    /// Whether the object has an attribute called `attributeName`.
    func hasAttribute(_ attributeName: String) -> Bool {
        (HDF5Library.attempt { H5Aexists(handle.id, attributeName) } ?? 0) > 0
    }

    /// Opens the attribute `attributeName`, or returns `nil` when there is none.
    func attribute(_ attributeName: String) throws -> HDF5Attribute? {
        guard hasAttribute(attributeName) else { return nil }
        let id = try HDF5Library.call(path, "opening attribute \(attributeName) of \(name)") {
            H5Aopen(handle.id, attributeName, sluice_H5P_DEFAULT())
        }
        return HDF5Attribute(owner: self, handle: HDF5Handle(id, .attribute), attributeName: attributeName)
    }

    /// A string attribute (scalar, or the first element of an array), or `nil` when absent.
    func stringAttribute(_ attributeName: String) throws -> String? {
        try attribute(attributeName)?.strings().first
    }

    /// A string-array attribute, or `nil` when absent.
    func stringArrayAttribute(_ attributeName: String) throws -> [String]? {
        guard let attribute = try attribute(attributeName) else { return nil }
        // anndata writes an empty column-order as an empty float array.
        if attribute.count == 0 { return [] }
        return try attribute.strings()
    }

    /// An integer-array attribute (any integer or integral float type), or `nil` when absent.
    func integerArrayAttribute(_ attributeName: String) throws -> [Int64]? {
        try attribute(attributeName)?.integers()
    }

    /// A boolean attribute (h5py enum, integer or bool), or `nil` when absent.
    func boolAttribute(_ attributeName: String) throws -> Bool? {
        try attribute(attributeName)?.integers().first.map { $0 != 0 }
    }

    // MARK: Writing

    /// Writes a scalar variable-length UTF-8 string attribute, as h5py does.
    func setAttribute(_ attributeName: String, string: String) throws {
        try HDF5Attribute.write(on: self, attributeName, strings: [string], scalar: true)
    }

    /// Writes a 1-D variable-length UTF-8 string array attribute.
    func setAttribute(_ attributeName: String, strings: [String]) throws {
        try HDF5Attribute.write(on: self, attributeName, strings: strings, scalar: false)
    }

    /// Writes a 1-D int64 array attribute.
    func setAttribute(_ attributeName: String, integers: [Int64]) throws {
        try HDF5Attribute.write(on: self, attributeName, integers: integers)
    }

    /// Writes a scalar boolean attribute as h5py does (an enum of FALSE/TRUE over int8).
    func setAttribute(_ attributeName: String, bool: Bool) throws {
        try HDF5Attribute.write(on: self, attributeName, bool: bool)
    }
}

extension HDF5Object {
    /// The dataset an object-reference attribute points to (anndata 0.7.0–0.7.5 categories).
    func referencedDataset(attribute attributeName: String) throws -> HDF5Dataset? {
        guard let attribute = try attribute(attributeName), attribute.elementType == .reference else { return nil }
        var reference = hobj_ref_t()
        try HDF5Library.call(path, "reading \(attribute.name)") { H5Aread(attribute.handle.id, sluice_H5T_STD_REF_OBJ(), &reference) }
        let id = try HDF5Library.call(path, "following \(attribute.name)") {
            H5Rdereference2(handle.id, sluice_H5P_DEFAULT(), H5R_OBJECT, &reference)
        }
        let target = HDF5Handle(id, .dataset)
        guard H5Iget_type(id) == H5I_DATASET else {
            throw FormatError(.unsupportedEncoding, path: path, "\(attribute.name) does not point to a dataset")
        }
        let length = H5Iget_name(id, nil, 0)
        var buffer = [CChar](repeating: 0, count: max(0, length) + 1)
        _ = H5Iget_name(id, &buffer, buffer.count)
        let dataset = HDF5Dataset(file: file, handle: target, name: String(nullTerminated: buffer))
        try dataset.checkExtentIsStored()
        return dataset
    }
}
