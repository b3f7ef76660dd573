/// A dispatch pass that could not complete; its tiles stay `pending`.
public enum DispatchError: Error, Sendable, CustomStringConvertible {
    /// The database connection was replaced during the pass, so the claim was not committed.
    case transactionLost(backend: String)

    public var description: String {
        switch self {
        case .transactionLost(let backend): "the database connection was lost while dispatching to \(backend); its tiles stay pending"
        }
    }
}
