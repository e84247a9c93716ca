public import SluiceFormats

/// A reservation that can never be granted, or was abandoned.
public struct BudgetError: SluiceError {
    /// The stable code (`budget.*`) scripts can match.
    public enum Code: String, Sendable, CustomStringConvertible {
        /// More bytes than the area (or the whole budget) can ever hold.
        case neverFits = "budget.never-fits"
        case cancelled = "budget.cancelled"
        /// The ledger and logs alone leave too little room for the next piece of work.
        case overheadFull = "budget.overhead-full"
        /// The quota workers share stayed full while this work waited: it is given back, so that
        /// what it held cannot keep other workers' work waiting in turn.
        case sharedQuotaFull = "budget.shared-quota-full"

        /// The code as scripts match it, e.g. `budget.never-fits`.
        public var description: String { rawValue }
    }

    /// Why the reservation failed, as a stable code.
    public let code: Code
    /// One sentence saying what went wrong.
    public let message: String

    /// The message.
    public var description: String { message }
}
