/// The one status vocabulary of a tile across backends.
///
/// A tile moves `pending → queued → submitted → running → finished | failed | canceled`; a
/// retry starts a new attempt at `queued`. Statuses are totally ordered within an attempt, so a
/// stale or repeated event can be recognised and never moves a tile backwards.
public enum TileStatus: String, Sendable, Codable, CaseIterable, Comparable {
    case pending
    case queued
    case submitted
    case running
    case finished
    case failed
    case canceled

    /// Position within one attempt; terminal statuses share the top rank.
    public var rank: Int {
        switch self {
        case .pending: 0
        case .queued: 1
        case .submitted: 2
        case .running: 3
        case .finished, .failed, .canceled: 4
        }
    }

    public var isTerminal: Bool { rank == 4 }

    /// Dispatched and not terminal: the tile holds one of its backend's `max_active` slots.
    public static let inFlight: [TileStatus] = allCases.filter { !$0.isTerminal && $0 != .pending }

    /// The end of an attempt.
    public static let terminal: [TileStatus] = allCases.filter(\.isTerminal)

    public static func < (lhs: TileStatus, rhs: TileStatus) -> Bool { lhs.rank < rhs.rank }
}
