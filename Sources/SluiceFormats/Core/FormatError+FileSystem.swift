import Foundation

extension FormatError {
    /// A file-system failure from Foundation (`CocoaError`, POSIX errors) as a sentence naming
    /// the path and the reason — never `Error Domain=NSCocoaErrorDomain Code=516 …`; nil for
    /// other errors.
    package static func fileSystem(_ error: any Error) -> FormatError? {
        let ns = error as NSError
        guard error is CocoaError || ns.domain == NSPOSIXErrorDomain || ns.domain == NSCocoaErrorDomain else { return nil }
        // Cocoa's file errors are codes 0–1023; others in its domain (a coder's 4864…, an
        // EncodingError's invalid value) are not the file system's.
        guard ns.domain != NSCocoaErrorDomain || (0...1023).contains(ns.code) else { return nil }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError
        let errno = underlying?.domain == NSPOSIXErrorDomain ? Int32(underlying!.code) : (ns.domain == NSPOSIXErrorDomain ? Int32(ns.code) : nil)
        let reason: String
        if let errno {
            reason = String(cString: strerror(errno)).lowercased()
        } else {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileWriteFileExists: reason = "already exists"
            case .fileNoSuchFile, .fileReadNoSuchFile: reason = "does not exist"
            case .fileWriteNoPermission, .fileReadNoPermission: reason = "permission denied"
            case .fileWriteOutOfSpace: reason = "no space left on the device"
            case .fileWriteVolumeReadOnly: reason = "the file system is read-only"
            default: reason = "the file system refused (code \(ns.code))"
            }
        }
        return FormatError(.ioFailure, path: path ?? "a file", reason)
    }
}
