import AMQP
import FleetModel
import Foundation
import Storage

/// A batch of deliveries split into events and heartbeats to store, the latest tick, and messages
/// to reject — pure, no I/O.
struct RecorderBatch {
    var events: [StatusEvent] = []
    var heartbeats: [Heartbeat] = []
    /// The latest coordinator tick in the batch: the watermark once the batch is committed.
    var tick: Date?
    var rejections: [EventStore.Rejection] = []
    var rejected: [(AMQPDelivery, String)] = []
    private var byEventID: [UUID: AMQPDelivery] = [:]

    init(_ deliveries: [ParsedDelivery]) {
        for parsed in deliveries {
            switch parsed.event {
            case .success(.event(let event)):
                events.append(event)
                byEventID[event.id] = parsed.delivery
            case .success(.heartbeat(let beat)):
                heartbeats.append(beat)
            case .success(.tick(let received)):
                tick = max(tick ?? received.time, received.time)
            case .failure(let rejection):
                let delivery = parsed.delivery
                rejections.append(EventStore.Rejection(body: delivery.body, reason: rejection.reason, routingKey: delivery.routingKey))
                rejected.append((delivery, rejection.reason))
            }
        }
    }

    func delivery(for id: UUID) -> AMQPDelivery? { byEventID[id] }
}

/// A delivery with its body already decoded, so decoding happens as messages arrive, beside the
/// database write of the previous batch rather than before the next one.
struct ParsedDelivery: Sendable {
    let delivery: AMQPDelivery
    let event: Result<RecorderMessage, MessageRejection>

    init(_ delivery: AMQPDelivery) {
        self.delivery = delivery
        self.event = Result { () throws(MessageRejection) -> RecorderMessage in try RecorderMessage.decode(delivery.body) }
    }
}
