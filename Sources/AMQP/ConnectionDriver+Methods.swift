@preconcurrency import CRabbitMQ

/// Encoding and sending AMQP methods; a failed send is a lost connection.
extension ConnectionDriver {
    /// Sends channel.open, expecting channel.open-ok later.
    /// The reply is expected even if the send fails: the loss handling then fails it with the rest.
    func sendChannelOpen(_ record: ChannelRecord, completion: ChannelRecord.Completion) throws(Exit) {
        var open = amqp_channel_open_t(out_of_band: amqp_empty_bytes)
        record.pendingReplies.append(.init(expected: AMQPMethodID.channelOpenOK, completion: completion))
        try check(amqp_send_method(state, record.id, AMQPMethodID.channelOpen, &open))
    }

    /// Encodes and sends `operation`, expecting its reply later. The reply is expected even if the
    /// send fails (a lost connection): the loss handling then fails the completion with the rest, so
    /// no caller waits for good.
    func send(_ operation: ChannelOperation, on record: ChannelRecord, completion: ChannelRecord.Completion) throws(Exit) {
        let channel = record.id
        let state = self.state
        record.pendingReplies.append(.init(expected: operation.expectedReply, completion: completion))
        try send(operation.expectedReply, on: channel) { arena in
            switch operation {
            case .declareExchange(let name, let type, let durable, let autoDelete, let isInternal, let arguments):
                var method = amqp_exchange_declare_t(
                    ticket: 0, exchange: arena.bytes(name), type: arena.bytes(type.rawValue), passive: 0,
                    durable: durable ? 1 : 0, auto_delete: autoDelete ? 1 : 0, internal: isInternal ? 1 : 0, nowait: 0,
                    arguments: arena.table(arguments)
                )
                return amqp_send_method(state, channel, AMQPMethodID.exchangeDeclare, &method)
            case .deleteExchange(let name, let ifUnused):
                var method = amqp_exchange_delete_t(ticket: 0, exchange: arena.bytes(name), if_unused: ifUnused ? 1 : 0, nowait: 0)
                return amqp_send_method(state, channel, AMQPMethodID.exchangeDelete, &method)
            case .declareQueue(let name, let durable, let exclusive, let autoDelete, let arguments):
                var method = amqp_queue_declare_t(
                    ticket: 0, queue: arena.bytes(name), passive: 0, durable: durable ? 1 : 0, exclusive: exclusive ? 1 : 0,
                    auto_delete: autoDelete ? 1 : 0, nowait: 0, arguments: arena.table(arguments)
                )
                return amqp_send_method(state, channel, AMQPMethodID.queueDeclare, &method)
            case .bindQueue(let queue, let exchange, let routingKey, let arguments):
                var method = amqp_queue_bind_t(
                    ticket: 0, queue: arena.bytes(queue), exchange: arena.bytes(exchange), routing_key: arena.bytes(routingKey),
                    nowait: 0, arguments: arena.table(arguments)
                )
                return amqp_send_method(state, channel, AMQPMethodID.queueBind, &method)
            case .unbindQueue(let queue, let exchange, let routingKey, let arguments):
                var method = amqp_queue_unbind_t(
                    ticket: 0, queue: arena.bytes(queue), exchange: arena.bytes(exchange), routing_key: arena.bytes(routingKey),
                    arguments: arena.table(arguments)
                )
                return amqp_send_method(state, channel, AMQPMethodID.queueUnbind, &method)
            case .deleteQueue(let name, let ifUnused, let ifEmpty):
                var method = amqp_queue_delete_t(ticket: 0, queue: arena.bytes(name), if_unused: ifUnused ? 1 : 0, if_empty: ifEmpty ? 1 : 0, nowait: 0)
                return amqp_send_method(state, channel, AMQPMethodID.queueDelete, &method)
            case .purgeQueue(let name):
                var method = amqp_queue_purge_t(ticket: 0, queue: arena.bytes(name), nowait: 0)
                return amqp_send_method(state, channel, AMQPMethodID.queuePurge, &method)
            case .qos(let prefetchCount, let global):
                var method = amqp_basic_qos_t(prefetch_size: 0, prefetch_count: prefetchCount, global: global ? 1 : 0)
                return amqp_send_method(state, channel, AMQPMethodID.basicQos, &method)
            case .confirmSelect:
                var method = amqp_confirm_select_t(nowait: 0)
                return amqp_send_method(state, channel, AMQPMethodID.confirmSelect, &method)
            case .consume(let queue, let tag, let noAck, let exclusive, let arguments):
                var method = amqp_basic_consume_t(
                    ticket: 0, queue: arena.bytes(queue), consumer_tag: arena.bytes(tag), no_local: 0, no_ack: noAck ? 1 : 0,
                    exclusive: exclusive ? 1 : 0, nowait: 0, arguments: arena.table(arguments)
                )
                return amqp_send_method(state, channel, AMQPMethodID.basicConsume, &method)
            case .cancel(let tag):
                var method = amqp_basic_cancel_t(consumer_tag: arena.bytes(tag), nowait: 0)
                return amqp_send_method(state, channel, AMQPMethodID.basicCancel, &method)
            case .close:
                var method = amqp_channel_close_t(reply_code: UInt16(AMQP_REPLY_SUCCESS), reply_text: arena.bytes("closed by the client"), class_id: 0, method_id: 0)
                return amqp_send_method(state, channel, AMQPMethodID.channelClose, &method)
            }
        }
    }

    /// Runs `encode` with a fresh arena and turns a failed send into a lost connection.
    func send(_ method: UInt32, on channel: UInt16, _ encode: (CArena) -> Int32) throws(Exit) {
        arena.reset()
        defer { arena.reset() }
        try check(encode(arena))
    }

    func check(_ status: Int32) throws(Exit) {
        guard status == AMQP_STATUS_OK.rawValue else { throw .lost(Self.errorString(status)) }
    }
}
