public import SluiceFormats

/// A SLURM tool that could not be run, or that refused.
public struct SlurmError: SluiceError {
    /// The stable code (`slurm.*`) scripts can match.
    public let code: String
    /// One sentence saying what went wrong.
    public let message: String
    /// Whether trying again may help (the controller was busy or restarting).
    public let isTransient: Bool

    /// An error with `code` and `message`.
    public init(code: String, _ message: String, transient: Bool = false) {
        self.code = code
        self.message = message
        self.isTransient = transient
    }

    /// The message.
    public var description: String { message }
}
