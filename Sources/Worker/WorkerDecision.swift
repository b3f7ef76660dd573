import FleetModel
import Messaging

/// What to do with one delivery once the backend has answered: the events, heartbeats and items to publish
/// (with confirms), then how to settle the delivery. The service applies it; nothing in it is I/O.
public struct WorkerDecision: Sendable, Equatable {
    /// How the delivery is settled once every publication is confirmed.
    public enum Settlement: Sendable, Equatable {
        /// Acknowledge: the follow-ups carry the work on.
        case ack
        /// Publish the original body to the dead-letter exchange with this reason, then acknowledge.
        case deadLetter(reason: String)
    }

    /// A work item to publish, through a wait tier or (tier `nil`) straight to the work exchange.
    public struct Publication: Sendable, Equatable {
        public var item: WorkItem
        /// Seconds of the wait tier; `nil`: no delay.
        public var tier: Int?

        public init(item: WorkItem, tier: Int?) {
            self.item = item
            self.tier = tier
        }
    }

    /// What became of the item, for metrics and logs.
    public enum Outcome: String, Sendable, Equatable, CaseIterable {
        /// A backend job was submitted (or found) and its first poll scheduled.
        case submitted
        /// The job is still going; the next poll is scheduled.
        case polled
        /// The backend said "try later" or failed transiently; the same item comes back after a delay.
        case deferred
        /// The platform refused to start the job for now ("try later"): the tile is handed back to
        /// the coordinator (parked), which starts it again when the backend has a slot.
        case parked
        /// The attempt failed and the next one is scheduled.
        case retrying
        case finished
        case failed
        case canceled
        /// The message was unreadable and went to the dead-letter exchange.
        case deadLettered = "dead_lettered"
        /// The item's lease had run out: acked and dropped; the coordinator republishes the tile.
        case lapsed
        /// A scheduled poll came before its time: sent back to wait, the platform not asked.
        case waiting
    }

    public var events: [StatusEvent]
    /// Signs of life for the recorder (``Heartbeat``), published with the events.
    public var heartbeats: [Heartbeat]
    public var items: [Publication]
    public var settlement: Settlement
    public var outcome: Outcome

    public init(events: [StatusEvent] = [], heartbeats: [Heartbeat] = [], items: [Publication] = [], settlement: Settlement = .ack,
                outcome: Outcome) {
        self.events = events
        self.heartbeats = heartbeats
        self.items = items
        self.settlement = settlement
        self.outcome = outcome
    }

    /// A message that cannot be handled: dead-lettered with `reason`, nothing else published.
    public static func deadLetter(reason: String) -> WorkerDecision {
        WorkerDecision(settlement: .deadLetter(reason: reason), outcome: .deadLettered)
    }
}
