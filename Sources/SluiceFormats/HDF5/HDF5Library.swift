internal import CHDF5

/// The one place where HDF5 status codes become Swift errors (STYLE.md: C at the edge).
///
/// Every HDF5 call in this module goes through ``call(_:_:_:)``: it silences HDF5's own printing
/// of error stacks (which would spill C-level noise onto the user's terminal), runs the call, and on
/// a negative status throws a ``FormatError`` that names the file, the action, and the innermost
/// reason HDF5 gave.
enum HDF5Library {
    /// Runs one HDF5 call; a negative status becomes a ``FormatError`` (code `hdf5Failure`).
    @discardableResult
    static func call<Status: BinaryInteger>(
        _ path: String, _ action: @autoclosure () -> String, _ body: () -> Status
    ) throws -> Status {
        silenceErrorPrinting()
        let status = body()
        if status < 0 { throw failure(path, action()) }
        return status
    }

    /// Runs one HDF5 call whose failure means "not there" rather than an error.
    static func attempt<Status: BinaryInteger>(_ body: () -> Status) -> Status? {
        silenceErrorPrinting()
        let status = body()
        if status < 0 {
            H5Eclear2(sluice_H5E_DEFAULT())
            return nil
        }
        return status
    }

    /// The error for a failed call, with HDF5's most specific explanation attached.
    static func failure(_ path: String, _ action: String) -> FormatError {
        let reason = innermostReason()
        H5Eclear2(sluice_H5E_DEFAULT())
        let suffix = reason.map { " (HDF5: \($0))" } ?? ""
        return FormatError(.hdf5Failure, path: path, "\(action) failed\(suffix)")
    }

    /// HDF5 keeps the automatic error printer per thread in its thread-safe build, so it is
    /// switched off on whichever thread is about to call into the library.
    private static func silenceErrorPrinting() {
        H5Eset_auto2(sluice_H5E_DEFAULT(), nil, nil)
    }

    /// The description of the innermost entry of this thread's error stack.
    private static func innermostReason() -> String? {
        final class Collector { var messages: [String] = [] }
        let collector = Collector()
        let walker: H5E_walk2_t = { _, entry, context in
            guard let entry, let context, let desc = entry.pointee.desc else { return 0 }
            let text = String(cString: desc)
            if !text.isEmpty {
                Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().messages.append(text)
            }
            return 0
        }
        withExtendedLifetime(collector) {
            _ = H5Ewalk2(sluice_H5E_DEFAULT(), H5E_WALK_UPWARD, walker, Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.messages.first
    }
}
