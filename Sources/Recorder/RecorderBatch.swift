import AMQP
import FleetModel
import Foundation
import Storage

/// A batch of deliveries split into events to store and messages to reject — pure, no I/O.
struct RecorderBatch {
    var events: [StatusEvent] = []
    var rejections: [EventStore.Rejection] = []
    var rejected: [(AMQPDelivery, String)] = []
    private var byEventID: [UUID: AMQPDelivery] = [:]

    init(_ deliveries: [AMQPDelivery]) {
        for delivery in deliveries {
            do {
                let event = try StatusEvent.decode(delivery.body)
                events.append(event)
                byEventID[event.id] = delivery
            } catch {
                rejections.append(EventStore.Rejection(body: delivery.body, reason: error.reason, routingKey: delivery.routingKey))
                rejected.append((delivery, error.reason))
            }
        }
    }

    func delivery(for id: UUID) -> AMQPDelivery? { byEventID[id] }
}
