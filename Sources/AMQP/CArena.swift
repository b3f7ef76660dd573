@preconcurrency import CRabbitMQ
import Foundation

/// Owns C memory handed to librabbitmq for the duration of one call (table entries, copies of Swift
/// strings), then frees it all at once. Used only on the connection thread; reset between calls so
/// its bookkeeping array is reused rather than reallocated.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    init() {
        allocations.reserveCapacity(16)
    }

    deinit { reset() }

    /// Frees everything allocated since the last reset.
    func reset() {
        for pointer in allocations { free(pointer) }
        allocations.removeAll(keepingCapacity: true)
    }

    func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        guard let pointer = malloc(max(bytes, 1)) else { fatalError("out of memory") }
        allocations.append(pointer)
        return pointer
    }

    /// A copy of `string`'s UTF-8 bytes that lives until the next reset (not NUL-terminated).
    func bytes(_ string: String) -> amqp_bytes_t {
        var string = string
        return string.withUTF8 { utf8 in
            let pointer = allocate(bytes: utf8.count)
            if let base = utf8.baseAddress, utf8.count > 0 { pointer.copyMemory(from: base, byteCount: utf8.count) }
            return amqp_bytes_t(len: utf8.count, bytes: pointer)
        }
    }

    func bytes(_ array: [UInt8]) -> amqp_bytes_t {
        array.withUnsafeBytes { raw in
            let pointer = allocate(bytes: raw.count)
            if let base = raw.baseAddress, raw.count > 0 { pointer.copyMemory(from: base, byteCount: raw.count) }
            return amqp_bytes_t(len: raw.count, bytes: pointer)
        }
    }

    /// A NUL-terminated copy of `string`.
    func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let pointer = allocate(bytes: utf8.count + 1).bindMemory(to: CChar.self, capacity: utf8.count + 1)
            if let base = utf8.baseAddress, utf8.count > 0 {
                UnsafeMutableRawPointer(pointer).copyMemory(from: base, byteCount: utf8.count)
            }
            pointer[utf8.count] = 0
            return pointer
        }
    }

    /// `table` in librabbitmq's representation, valid until the next reset.
    func table(_ table: AMQPTable) -> amqp_table_t {
        guard !table.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        let entries = allocate(bytes: MemoryLayout<amqp_table_entry_t>.stride * table.count)
            .bindMemory(to: amqp_table_entry_t.self, capacity: table.count)
        for (index, entry) in table.entries.enumerated() {
            entries.advanced(by: index).initialize(to: amqp_table_entry_t(key: bytes(entry.key), value: fieldValue(entry.value)))
        }
        return amqp_table_t(num_entries: Int32(table.count), entries: entries)
    }

    private func fieldValue(_ value: AMQPTable.Value) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .string(let s):
            field.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            field.value.bytes = bytes(s)
        case .int(let i):
            field.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
            field.value.i64 = i
        case .bool(let b):
            field.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
            field.value.boolean = b ? 1 : 0
        case .double(let d):
            field.kind = UInt8(AMQP_FIELD_KIND_F64.rawValue)
            field.value.f64 = d
        case .bytes(let b):
            field.kind = UInt8(AMQP_FIELD_KIND_BYTES.rawValue)
            field.value.bytes = bytes(b)
        case .timestamp(let t):
            field.kind = UInt8(AMQP_FIELD_KIND_TIMESTAMP.rawValue)
            field.value.u64 = t
        case .table(let t):
            field.kind = UInt8(AMQP_FIELD_KIND_TABLE.rawValue)
            field.value.table = table(t)
        case .array(let values):
            field.kind = UInt8(AMQP_FIELD_KIND_ARRAY.rawValue)
            let entries = allocate(bytes: MemoryLayout<amqp_field_value_t>.stride * max(values.count, 1))
                .bindMemory(to: amqp_field_value_t.self, capacity: max(values.count, 1))
            for (index, element) in values.enumerated() {
                entries.advanced(by: index).initialize(to: fieldValue(element))
            }
            field.value.array = amqp_array_t(num_entries: Int32(values.count), entries: entries)
        case .void:
            field.kind = UInt8(AMQP_FIELD_KIND_VOID.rawValue)
        }
        return field
    }

    /// `properties` in librabbitmq's representation, valid until the next reset.
    func properties(_ properties: AMQPProperties) -> amqp_basic_properties_t {
        var p = amqp_basic_properties_t()
        var flags: UInt32 = 0
        if let v = properties.contentType { p.content_type = bytes(v); flags |= UInt32(AMQP_BASIC_CONTENT_TYPE_FLAG) }
        if let v = properties.contentEncoding { p.content_encoding = bytes(v); flags |= UInt32(AMQP_BASIC_CONTENT_ENCODING_FLAG) }
        if !properties.headers.isEmpty { p.headers = table(properties.headers); flags |= UInt32(AMQP_BASIC_HEADERS_FLAG) }
        if let v = properties.deliveryMode { p.delivery_mode = v.rawValue; flags |= UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG) }
        if let v = properties.priority { p.priority = v; flags |= UInt32(AMQP_BASIC_PRIORITY_FLAG) }
        if let v = properties.correlationID { p.correlation_id = bytes(v); flags |= UInt32(AMQP_BASIC_CORRELATION_ID_FLAG) }
        if let v = properties.replyTo { p.reply_to = bytes(v); flags |= UInt32(AMQP_BASIC_REPLY_TO_FLAG) }
        if let v = properties.expiration { p.expiration = bytes(v); flags |= UInt32(AMQP_BASIC_EXPIRATION_FLAG) }
        if let v = properties.messageID { p.message_id = bytes(v); flags |= UInt32(AMQP_BASIC_MESSAGE_ID_FLAG) }
        if let v = properties.timestamp { p.timestamp = v; flags |= UInt32(AMQP_BASIC_TIMESTAMP_FLAG) }
        if let v = properties.type { p.type = bytes(v); flags |= UInt32(AMQP_BASIC_TYPE_FLAG) }
        if let v = properties.userID { p.user_id = bytes(v); flags |= UInt32(AMQP_BASIC_USER_ID_FLAG) }
        if let v = properties.appID { p.app_id = bytes(v); flags |= UInt32(AMQP_BASIC_APP_ID_FLAG) }
        p._flags = amqp_flags_t(flags)
        return p
    }
}
