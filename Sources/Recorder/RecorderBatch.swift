import AMQP
import FleetModel
import Foundation
import Messaging
import Storage
import Timing

/// A batch of deliveries split into events and heartbeats to store, the latest tick, and messages
/// to reject — pure, no I/O. An event, heartbeat or tick dated more than `clockSkew` after `now`
/// is rejected: no clock in the fleet can be that far ahead, and neither a tile's `status_at` nor
/// its `seen_at` nor the watermark (which would pass a backlog off as silence) may be.
struct RecorderBatch {
    var events: [StatusEvent] = []
    var heartbeats: [Heartbeat] = []
    /// The latest coordinator tick in the batch: the watermark once the batch is committed.
    var tick: Date?
    var rejections: [EventStore.Rejection] = []
    var rejected: [(AMQPDelivery, String)] = []
    private var byEventID: [UUID: AMQPDelivery] = [:]

    init(_ deliveries: [ParsedDelivery], now: Date, clockSkew: Duration) {
        let latest = now.addingTimeInterval(clockSkew.inSeconds)
        for parsed in deliveries {
            switch parsed.event {
            case .success(.event(let event)) where event.time > latest:
                reject(parsed.delivery, Self.futureReason(event.time, clockSkew: clockSkew))
            case .success(.event(let event)):
                events.append(event)
                byEventID[event.id] = parsed.delivery
            case .success(.heartbeat(let beat)) where beat.time > latest:
                reject(parsed.delivery, Self.futureReason(beat.time, clockSkew: clockSkew))
            case .success(.heartbeat(let beat)):
                heartbeats.append(beat)
            case .success(.tick(let received)) where received.time > latest:
                reject(parsed.delivery, Self.futureReason(received.time, clockSkew: clockSkew))
            case .success(.tick(let received)):
                tick = max(tick ?? received.time, received.time)
            case .failure(let rejection):
                reject(parsed.delivery, rejection.reason)
            }
        }
    }

    private mutating func reject(_ delivery: AMQPDelivery, _ reason: String) {
        rejections.append(EventStore.Rejection(body: delivery.body, reason: reason, routingKey: delivery.routingKey))
        rejected.append((delivery, reason))
    }

    static func futureReason(_ time: Date, clockSkew: Duration) -> String {
        "field 'time' (\(time.formatted(.iso8601))) is more than the clock skew of \(clockSkew) ahead of the recorder's clock"
    }

    func delivery(for id: UUID) -> AMQPDelivery? { byEventID[id] }
}

/// A delivery with its body already decoded, so decoding happens as messages arrive, beside the
/// database write of the previous batch rather than before the next one.
struct ParsedDelivery: Sendable {
    let delivery: AMQPDelivery
    let event: Result<RecorderMessage, MessageRejection>

    init(_ delivery: AMQPDelivery, signing: MessageSigning = .unsigned) {
        self.delivery = delivery
        self.event = Result { () throws(MessageRejection) -> RecorderMessage in
            try signing.check(delivery, purpose: .events)
            return try RecorderMessage.decode(delivery.body)
        }
    }
}
