internal import CHDF5
import Foundation

/// An open HDF5 file. Objects opened from it keep it alive; it closes when the last one goes.
final class HDF5File: Sendable {
    /// The file's path, used in every error message.
    let path: String
    let handle: HDF5Handle

    private init(path: String, handle: HDF5Handle) {
        self.path = path
        self.handle = handle
    }

    /// The signature every HDF5 file carries in its superblock (at offset 0, 512, 1024, …).
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Opens an existing file read-only.
    static func open(_ path: String) throws -> HDF5File {
        guard FileManager.default.fileExists(atPath: path) else {
            throw FormatError(.fileNotFound, path: path, "no such file")
        }
        guard HDF5Library.attempt({ H5Fis_hdf5(path) }).map({ $0 > 0 }) == true else {
            throw FormatError(.notHDF5, path: path, "not an HDF5 file (no HDF5 signature found)")
        }
        let id: hid_t
        do {
            id = try HDF5Library.call(path, "opening the file") { H5Fopen(path, sluice_H5F_ACC_RDONLY(), sluice_H5P_DEFAULT()) }
        } catch let error as FormatError {
            throw FormatError(.notHDF5, path: path, "cannot be opened as HDF5 — it may be truncated or damaged: \(error.message)")
        }
        return HDF5File(path: path, handle: HDF5Handle(id, .file))
    }

    /// Creates (or truncates) a file for writing. Its objects carry no modification times, so
    /// the same content gives the same bytes (see ``HDF5Group/untimed(_:)``).
    static func create(_ path: String) throws -> HDF5File {
        let properties = try HDF5Group.untimed(sluice_H5P_FILE_CREATE())
        let id = try HDF5Library.call(path, "creating the file") {
            H5Fcreate(path, sluice_H5F_ACC_TRUNC(), properties.id, sluice_H5P_DEFAULT())
        }
        return HDF5File(path: path, handle: HDF5Handle(id, .file))
    }

    /// The root group `/`.
    func root() throws -> HDF5Group {
        let id = try HDF5Library.call(path, "opening the root group") { H5Gopen2(handle.id, "/", sluice_H5P_DEFAULT()) }
        return HDF5Group(file: self, handle: HDF5Handle(id, .group), name: "/")
    }

    /// Writes all buffered data to disk.
    func flush() throws {
        try HDF5Library.call(path, "flushing the file") { H5Fflush(handle.id, H5F_SCOPE_GLOBAL) }
    }

    /// Whether the file at `path` starts with an HDF5 superblock signature.
    static func hasSignature(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        for offset: UInt64 in [0, 512, 1024, 2048] {
            guard (try? handle.seek(toOffset: offset)) != nil,
                let bytes = try? handle.read(upToCount: 8), bytes.count == 8
            else { return false }
            if Array(bytes) == signature { return true }
        }
        return false
    }
}
