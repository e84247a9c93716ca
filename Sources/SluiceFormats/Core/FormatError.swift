/// An error reading or writing a data file: a stable code, one sentence for the user, and the file.
///
/// The message names the file and what is wrong with it, so a user who sees only this line knows
/// which input to look at and why (DESIGN.md rule 5). Codes are stable across releases and appear in
/// logs and JSON reports.
public struct FormatError: SluiceError, Hashable {
    /// A stable, machine-readable category of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case fileNotFound = "file-not-found"
            case notHDF5 = "not-hdf5"
            case unknownFormat = "unknown-format"
            case missingObject = "missing-object"
            case unsupportedEncoding = "unsupported-encoding"
            case unsupportedType = "unsupported-type"
            case unsupportedFilter = "unsupported-filter"
            case inconsistentShape = "inconsistent-shape"
            case indexOutOfRange = "index-out-of-range"
            case invalidValue = "invalid-value"
            case corruptData = "corrupt-data"
            case malformedText = "malformed-text"
            case hdf5Failure = "hdf5-failure"
            case ioFailure = "io-failure"
            case invalidArgument = "invalid-argument"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The path does not exist or cannot be opened.
        public static let fileNotFound = Code(.fileNotFound)
        /// The file is not an HDF5 file (or is truncated before its superblock).
        public static let notHDF5 = Code(.notHDF5)
        /// The file's content matches no format Sluice reads.
        public static let unknownFormat = Code(.unknownFormat)
        /// A required group, dataset or attribute is missing.
        public static let missingObject = Code(.missingObject)
        /// An AnnData/10x/Loom encoding Sluice does not read (e.g. a compound obs table).
        public static let unsupportedEncoding = Code(.unsupportedEncoding)
        /// A datatype that cannot be read as asked (e.g. strings where numbers are expected).
        public static let unsupportedType = Code(.unsupportedType)
        /// A compression filter that this HDF5 build cannot decode.
        public static let unsupportedFilter = Code(.unsupportedFilter)
        /// Shapes, lengths or pointers that disagree with each other.
        public static let inconsistentShape = Code(.inconsistentShape)
        /// A sparse index outside the matrix.
        public static let indexOutOfRange = Code(.indexOutOfRange)
        /// A value that is not allowed (NaN or negative counts, bad header fields).
        public static let invalidValue = Code(.invalidValue)
        /// Compressed data that does not decompress.
        public static let corruptData = Code(.corruptData)
        /// A text file (Matrix Market, TSV) with a line that does not parse.
        public static let malformedText = Code(.malformedText)
        /// The HDF5 library reported a failure.
        public static let hdf5Failure = Code(.hdf5Failure)
        /// Reading or writing the file system failed.
        public static let ioFailure = Code(.ioFailure)
        /// The caller asked for something impossible (a cell range past the end, an unknown layer).
        public static let invalidArgument = Code(.invalidArgument)

        /// The code as text, e.g. `file-not-found`.
        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The file the failure concerns.
    public let path: String
    /// What is wrong, in words a user understands (without the path, which `description` adds).
    public let message: String

    /// An error of kind `code` about the file at `path`, with `message` for the user.
    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// One sentence: `<path>: <message>`.
    public var description: String { "\(path): \(message)" }
}
