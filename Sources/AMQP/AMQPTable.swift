/// An AMQP field table: queue and exchange arguments (`x-dead-letter-exchange`, `x-message-ttl`,
/// `x-queue-type`, …) and message headers.
///
/// Keeps the order in which entries were added; assigning to an existing key replaces its value.
/// Write it as a dictionary literal: `["x-queue-type": "quorum", "x-message-ttl": 300]`.
public struct AMQPTable: Sendable, Hashable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// One field value. Integers go on the wire as signed 64-bit (`l`), strings as long strings (`S`).
    public indirect enum Value: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
        ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral, CustomStringConvertible
    {
        case string(String)
        case int(Int64)
        case bool(Bool)
        case double(Double)
        case bytes([UInt8])
        /// Seconds since 1970, as AMQP timestamps are.
        case timestamp(UInt64)
        case table(AMQPTable)
        case array([Value])
        case void

        public init(stringLiteral value: String) { self = .string(value) }
        public init(integerLiteral value: Int64) { self = .int(value) }
        public init(booleanLiteral value: Bool) { self = .bool(value) }
        public init(floatLiteral value: Double) { self = .double(value) }

        public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
        public var intValue: Int64? { if case .int(let i) = self { i } else { nil } }
        public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }

        public var description: String {
            switch self {
            case .string(let s): "\"\(s)\""
            case .int(let i): "\(i)"
            case .bool(let b): "\(b)"
            case .double(let d): "\(d)"
            case .bytes(let b): "<\(b.count) bytes>"
            case .timestamp(let t): "@\(t)"
            case .table(let t): t.description
            case .array(let a): "[" + a.map(\.description).joined(separator: ", ") + "]"
            case .void: "void"
            }
        }
    }

    /// The entries in insertion order.
    public private(set) var entries: [(key: String, value: Value)]

    public init() { entries = [] }

    public init(dictionaryLiteral elements: (String, Value)...) {
        entries = []
        for (key, value) in elements { self[key] = value }
    }

    public subscript(key: String) -> Value? {
        get { entries.first(where: { $0.key == key })?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    public var description: String {
        "[" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }

    public static func == (lhs: AMQPTable, rhs: AMQPTable) -> Bool {
        lhs.entries.count == rhs.entries.count && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}
