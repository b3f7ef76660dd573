@preconcurrency import CRabbitMQ
import Foundation

extension AMQPTable {
    /// A copy of a librabbitmq table.
    init(amqpTable table: amqp_table_t) {
        self.init()
        guard let entries = table.entries else { return }
        for index in 0..<Int(table.num_entries) {
            let entry = entries[index]
            self[String(amqpBytes: entry.key)] = Value(amqpField: entry.value)
        }
    }
}

extension AMQPTable.Value {
    init(amqpField field: amqp_field_value_t) {
        switch UInt32(field.kind) {
        case AMQP_FIELD_KIND_BOOLEAN.rawValue: self = .bool(field.value.boolean != 0)
        case AMQP_FIELD_KIND_I8.rawValue: self = .int(Int64(field.value.i8))
        case AMQP_FIELD_KIND_U8.rawValue: self = .int(Int64(field.value.u8))
        case AMQP_FIELD_KIND_I16.rawValue: self = .int(Int64(field.value.i16))
        case AMQP_FIELD_KIND_U16.rawValue: self = .int(Int64(field.value.u16))
        case AMQP_FIELD_KIND_I32.rawValue: self = .int(Int64(field.value.i32))
        case AMQP_FIELD_KIND_U32.rawValue: self = .int(Int64(field.value.u32))
        case AMQP_FIELD_KIND_I64.rawValue: self = .int(field.value.i64)
        case AMQP_FIELD_KIND_U64.rawValue: self = .int(Int64(truncatingIfNeeded: field.value.u64))
        case AMQP_FIELD_KIND_F32.rawValue: self = .double(Double(field.value.f32))
        case AMQP_FIELD_KIND_F64.rawValue: self = .double(field.value.f64)
        case AMQP_FIELD_KIND_DECIMAL.rawValue:
            let d = field.value.decimal
            self = .double(Double(d.value) / pow(10, Double(d.decimals)))
        case AMQP_FIELD_KIND_UTF8.rawValue: self = .string(String(amqpBytes: field.value.bytes))
        case AMQP_FIELD_KIND_BYTES.rawValue: self = .bytes([UInt8](amqpBytes: field.value.bytes))
        case AMQP_FIELD_KIND_TIMESTAMP.rawValue: self = .timestamp(field.value.u64)
        case AMQP_FIELD_KIND_TABLE.rawValue: self = .table(AMQPTable(amqpTable: field.value.table))
        case AMQP_FIELD_KIND_ARRAY.rawValue:
            let array = field.value.array
            var values: [AMQPTable.Value] = []
            if let entries = array.entries {
                for index in 0..<Int(array.num_entries) { values.append(AMQPTable.Value(amqpField: entries[index])) }
            }
            self = .array(values)
        default: self = .void
        }
    }
}
