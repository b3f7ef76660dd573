@preconcurrency import CRabbitMQ
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Reading frames: assembling deliveries and returns, settling confirms, and dispatching methods
/// to the pending reply they answer.
extension ConnectionDriver {
    /// Reads and handles one frame if one is available. Heartbeats are sent and checked in here.
    func readFrame() throws(Exit) -> Bool {
        guard let state else { throw .lost("no connection") }
        var frame = amqp_frame_t()
        // Not zero: librabbitmq checks the heartbeat deadline only for a real timeout.
        var timeout = Glibc.timeval(tv_sec: 0, tv_usec: 1)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return false }
        guard status == AMQP_STATUS_OK.rawValue else { throw .lost(Self.errorString(status)) }
        try handle(frame)
        if self.state != nil {
            amqp_maybe_release_buffers_on_channel(state, frame.channel)
        }
        return true
    }

    func handle(_ frame: amqp_frame_t) throws(Exit) {
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_METHOD:
            try handleMethod(frame.payload.method, channel: frame.channel)
        case AMQP_FRAME_HEADER:
            guard let record = channels[frame.channel], var incoming = record.incoming, !incoming.hasHeader else { return }
            if let decoded = frame.payload.properties.decoded {
                incoming.properties = AMQPProperties(amqpProperties: decoded.load(as: amqp_basic_properties_t.self))
            }
            incoming.bodySize = Int(frame.payload.properties.body_size)
            incoming.hasHeader = true
            incoming.body.reserveCapacity(incoming.bodySize)
            record.incoming = incoming
            if incoming.bodySize == 0 { try completeIncoming(on: record) }
        case AMQP_FRAME_BODY:
            guard let record = channels[frame.channel], record.incoming?.hasHeader == true else { return }
            let fragment = frame.payload.body_fragment
            if let bytes = fragment.bytes, fragment.len > 0 {
                record.incoming!.body.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: fragment.len))
            }
            if record.incoming!.body.count >= record.incoming!.bodySize { try completeIncoming(on: record) }
        default:
            break
        }
    }

    func handleMethod(_ method: amqp_method_t, channel channelID: UInt16) throws(Exit) {
        let id = method.id
        let decoded = method.decoded
        if channelID == 0 {
            switch id {
            case AMQPMethodID.connectionClose:
                let close = decoded!.load(as: amqp_connection_close_t.self)
                let text = String(amqpBytes: close.reply_text)
                var closeOK = amqp_connection_close_ok_t(dummy: 0)
                _ = amqp_send_method(state, 0, AMQPMethodID.connectionCloseOK, &closeOK)
                throw .lost("broker closed the connection: \(close.reply_code) \(text)")
            case AMQPMethodID.connectionBlocked:
                logger.warning("AMQP connection blocked by the broker (resource alarm); publishes will stall")
            case AMQPMethodID.connectionUnblocked:
                logger.info("AMQP connection unblocked")
            default:
                logger.debug("AMQP ignoring connection method", metadata: ["method": "\(id)"])
            }
            return
        }
        guard let record = channels[channelID] else {
            logger.debug("AMQP method on unknown channel", metadata: ["channel": "\(channelID)", "method": "\(id)"])
            return
        }
        switch id {
        case AMQPMethodID.basicDeliver:
            let deliver = decoded!.load(as: amqp_basic_deliver_t.self)
            record.incoming = ChannelRecord.Incoming(
                kind: .deliver(
                    consumerTag: String(amqpBytes: deliver.consumer_tag), deliveryTag: deliver.delivery_tag,
                    redelivered: deliver.redelivered != 0
                ),
                exchange: String(amqpBytes: deliver.exchange), routingKey: String(amqpBytes: deliver.routing_key)
            )
        case AMQPMethodID.basicReturn:
            let returned = decoded!.load(as: amqp_basic_return_t.self)
            record.incoming = ChannelRecord.Incoming(
                kind: .returned(replyCode: returned.reply_code, replyText: String(amqpBytes: returned.reply_text)),
                exchange: String(amqpBytes: returned.exchange), routingKey: String(amqpBytes: returned.routing_key)
            )
        case AMQPMethodID.basicAck:
            let ack = decoded!.load(as: amqp_basic_ack_t.self)
            settleConfirms(on: record, tag: ack.delivery_tag, multiple: ack.multiple != 0, ack: true)
        case AMQPMethodID.basicNack:
            let nack = decoded!.load(as: amqp_basic_nack_t.self)
            settleConfirms(on: record, tag: nack.delivery_tag, multiple: nack.multiple != 0, ack: false)
        case AMQPMethodID.basicCancel:
            // The broker cancelled a consumer (its queue was deleted, or it failed over).
            let cancel = decoded!.load(as: amqp_basic_cancel_t.self)
            let tag = String(amqpBytes: cancel.consumer_tag)
            logger.warning("AMQP consumer cancelled by the broker", metadata: ["consumer": "\(tag)"])
            record.removeConsumer(tag)?.stream.finish(.cancelledByBroker)
            if cancel.nowait == 0 {
                try send(AMQPMethodID.basicCancelOK, on: channelID) { arena in
                    var ok = amqp_basic_cancel_ok_t(consumer_tag: arena.bytes(tag))
                    return amqp_send_method(state, channelID, AMQPMethodID.basicCancelOK, &ok)
                }
            }
        case AMQPMethodID.channelClose:
            let close = decoded!.load(as: amqp_channel_close_t.self)
            try channelClosedByBroker(
                record, code: close.reply_code, text: String(amqpBytes: close.reply_text),
                failedMethod: AMQPMethodID.make(UInt32(close.class_id), UInt32(close.method_id))
            )
        case AMQPMethodID.channelFlow:
            let flow = decoded!.load(as: amqp_channel_flow_t.self)
            var ok = amqp_channel_flow_ok_t(active: flow.active)
            try check(amqp_send_method(state, channelID, AMQPMethodID.channelFlowOK, &ok))
        default:
            guard !record.pendingReplies.isEmpty else {
                logger.debug("AMQP unexpected method", metadata: ["channel": "\(channelID)", "method": "\(id)"])
                return
            }
            let pending = record.pendingReplies.removeFirst()
            if pending.expected != id {
                logger.warning("AMQP reply does not match the request", metadata: ["expected": "\(pending.expected)", "got": "\(id)"])
            }
            let reply: OperationReply
            switch id {
            case AMQPMethodID.queueDeclareOK:
                let ok = decoded!.load(as: amqp_queue_declare_ok_t.self)
                reply = .queue(AMQPQueueInfo(name: String(amqpBytes: ok.queue), messageCount: ok.message_count, consumerCount: ok.consumer_count))
            case AMQPMethodID.queuePurgeOK:
                reply = .messageCount(decoded!.load(as: amqp_queue_purge_ok_t.self).message_count)
            case AMQPMethodID.queueDeleteOK:
                reply = .messageCount(decoded!.load(as: amqp_queue_delete_ok_t.self).message_count)
            default:
                reply = .done
            }
            complete(pending.completion, on: record, with: .success(reply))
        }
    }

    func settleConfirms(on record: ChannelRecord, tag: UInt64, multiple: Bool, ack: Bool) {
        let settled = record.tracker.settle(tag: tag, multiple: multiple, ack: ack) { _, waiter, outcome in
            switch outcome {
            case .acked:
                waiter?.resume()
            case .nacked:
                if let waiter { waiter.resume(throwing: AMQPError.publishNacked) } else { record.nackedSinceWait += 1 }
            case .returned(let code, let text):
                if let waiter {
                    waiter.resume(throwing: AMQPError.publishReturned(replyCode: code, replyText: text))
                } else {
                    record.nackedSinceWait += 1
                }
            }
        }
        shared.releaseWindow(channel: record.id, count: settled)
        resolveConfirmWaiters(on: record, all: false)
    }

    /// Resumes `waitForConfirms` callers whose publishes are all settled (or all of them, after a loss).
    func resolveConfirmWaiters(on record: ChannelRecord, all: Bool) {
        guard !record.confirmWaiters.isEmpty else { return }
        let ready = record.confirmWaiters.filter { all || record.tracker.isSettled(through: $0.through) }
        guard !ready.isEmpty else { return }
        record.confirmWaiters.removeAll { all || record.tracker.isSettled(through: $0.through) }
        let nacked = record.nackedSinceWait
        let unconfirmed = record.unconfirmedSinceWait
        record.nackedSinceWait = 0
        record.unconfirmedSinceWait = 0
        for waiter in ready {
            if nacked == 0 && unconfirmed == 0 {
                waiter.continuation.resume()
            } else {
                waiter.continuation.resume(throwing: AMQPError.publishesNotConfirmed(nacked: nacked, unconfirmed: unconfirmed))
            }
        }
    }

    func completeIncoming(on record: ChannelRecord) throws(Exit) {
        guard let incoming = record.incoming else { return }
        record.incoming = nil
        switch incoming.kind {
        case .deliver(let consumerTag, let deliveryTag, let redelivered):
            if let consumer = record.consumers[consumerTag] {
                consumer.stream.yield(AMQPDelivery(
                    body: incoming.body, exchange: incoming.exchange, routingKey: incoming.routingKey, redelivered: redelivered,
                    deliveryTag: deliveryTag, consumerTag: consumerTag, properties: incoming.properties,
                    channelID: record.id, channelGeneration: record.generation
                ))
            } else {
                // Cancelled meanwhile: hand the message straight back.
                try check(amqp_basic_reject(state, record.id, deliveryTag, 1))
            }
        case .returned(let code, let text):
            let matched = incoming.properties.messageID.map {
                record.tracker.recordReturn(messageID: $0, replyCode: code, replyText: text)
            } ?? false
            if !matched {
                logger.warning("AMQP unroutable mandatory message returned", metadata: [
                    "exchange": "\(incoming.exchange)", "routingKey": "\(incoming.routingKey)", "reply": "\(code) \(text)",
                ])
            }
        }
    }
}
