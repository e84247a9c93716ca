internal import CHDF5
import Foundation

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
        _ = setUp
        silenceErrorPrinting()
        let status = body()
        if status < 0 { throw failure(path, action()) }
        return status
    }

    /// Runs one HDF5 call whose failure means "not there" rather than an error.
    static func attempt<Status: BinaryInteger>(_ body: () -> Status) -> Status? {
        _ = setUp
        silenceErrorPrinting()
        let status = body()
        if status < 0 {
            H5Eclear2(sluice_H5E_DEFAULT())
            return nil
        }
        return status
    }

    /// Runs once, before the library's first call: HDF5 must not tear itself down at process exit.
    /// After a write failed (a full disk), its exit handler closes the objects the failed flush
    /// left open and dereferences freed state — a segfault after the error was already reported.
    /// Sluice closes every file it writes itself, so nothing is lost by skipping that handler.
    private static let setUp: Void = { _ = H5dont_atexit() }()

    /// The error for a failed call, with HDF5's most specific explanation attached.
    static func failure(_ path: String, _ action: String) -> FormatError {
        let reason = innermostReason().map(Self.oneLine)
        H5Eclear2(sluice_H5E_DEFAULT())
        let suffix = reason.map { " (HDF5: \($0))" } ?? ""
        return FormatError(.hdf5Failure, path: path, "\(action) failed\(suffix)")
    }

    /// HDF5's reason on one line; a system call's failure (`… errno = 28, error message = 'No
    /// space left on device', …`, with a time stamp and a newline inside) as its action and the
    /// system's words only.
    static func oneLine(_ reason: String) -> String {
        if let start = reason.range(of: "error message = '"), let end = reason[start.upperBound...].firstIndex(of: "'") {
            let action = reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? reason
            return "\(action): \(reason[start.upperBound..<end])"
        }
        return reason.split(whereSeparator: \.isNewline).joined(separator: " ")
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
