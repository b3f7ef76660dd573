/// What a status event reports: a tile status, or `retrying` — the attempt failed and the
/// next attempt is queued.
public enum EventStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case submitted
    case running
    case finished
    case failed
    case canceled
    case retrying

    /// The tile's position after this event: `retrying` of attempt n is attempt n + 1, queued.
    public func tilePosition(attempt: Int) -> TilePosition {
        switch self {
        case .retrying: TilePosition(attempt: attempt + 1, status: .queued)
        case .queued: TilePosition(attempt: attempt, status: .queued)
        case .submitted: TilePosition(attempt: attempt, status: .submitted)
        case .running: TilePosition(attempt: attempt, status: .running)
        case .finished: TilePosition(attempt: attempt, status: .finished)
        case .failed: TilePosition(attempt: attempt, status: .failed)
        case .canceled: TilePosition(attempt: attempt, status: .canceled)
        }
    }
}

/// Where a tile stands: its attempt and its status in that attempt. Ordered so that the later
/// position wins, whatever order events arrive in.
public struct TilePosition: Sendable, Hashable, Comparable {
    public var attempt: Int
    public var status: TileStatus

    public init(attempt: Int, status: TileStatus) {
        self.attempt = attempt
        self.status = status
    }

    public static func < (lhs: TilePosition, rhs: TilePosition) -> Bool {
        (lhs.attempt, lhs.status.rank) < (rhs.attempt, rhs.status.rank)
    }
}
