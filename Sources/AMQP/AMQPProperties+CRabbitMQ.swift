@preconcurrency import CRabbitMQ

extension AMQPProperties {
    /// A copy of librabbitmq's decoded content header.
    init(amqpProperties p: amqp_basic_properties_t) {
        let flags = UInt32(p._flags)
        func has(_ flag: Int32) -> Bool { flags & UInt32(flag) != 0 }
        self.init(deliveryMode: nil)
        if has(AMQP_BASIC_CONTENT_TYPE_FLAG) { contentType = String(amqpBytes: p.content_type) }
        if has(AMQP_BASIC_CONTENT_ENCODING_FLAG) { contentEncoding = String(amqpBytes: p.content_encoding) }
        if has(AMQP_BASIC_HEADERS_FLAG) { headers = AMQPTable(amqpTable: p.headers) }
        if has(AMQP_BASIC_DELIVERY_MODE_FLAG) { deliveryMode = DeliveryMode(rawValue: p.delivery_mode) }
        if has(AMQP_BASIC_PRIORITY_FLAG) { priority = p.priority }
        if has(AMQP_BASIC_CORRELATION_ID_FLAG) { correlationID = String(amqpBytes: p.correlation_id) }
        if has(AMQP_BASIC_REPLY_TO_FLAG) { replyTo = String(amqpBytes: p.reply_to) }
        if has(AMQP_BASIC_EXPIRATION_FLAG) { expiration = String(amqpBytes: p.expiration) }
        if has(AMQP_BASIC_MESSAGE_ID_FLAG) { messageID = String(amqpBytes: p.message_id) }
        if has(AMQP_BASIC_TIMESTAMP_FLAG) { timestamp = p.timestamp }
        if has(AMQP_BASIC_TYPE_FLAG) { type = String(amqpBytes: p.type) }
        if has(AMQP_BASIC_USER_ID_FLAG) { userID = String(amqpBytes: p.user_id) }
        if has(AMQP_BASIC_APP_ID_FLAG) { appID = String(amqpBytes: p.app_id) }
    }
}
