/// A reservation that can never be granted, or was abandoned.
public struct BudgetError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// More bytes than the area (or the whole budget) can ever hold.
        case neverFits = "budget.never-fits"
        case cancelled = "budget.cancelled"
    }

    public let code: Code
    public let message: String

    public var description: String { "\(message) [\(code.rawValue)]" }
}
