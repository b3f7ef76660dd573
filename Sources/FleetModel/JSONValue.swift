/// A JSON value: feature properties, dimension values and job parameters.
///
/// Sendable and Hashable so it can travel in job specs; ``canonicalJSON`` sorts object keys so
/// equal values always serialise to the same text (the basis of deterministic job keys).
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// `Decoder` cannot say which type a value has, and every wrong guess costs a thrown
    /// `DecodingError` (with its message text): objects are tried first, then the scalars by how
    /// often they occur in process graphs and parameters, arrays last.
    public init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: MemberKey.self) {
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(object.allKeys.count)
            for key in object.allKeys {
                members[key.stringValue] = try object.decode(JSONValue.self, forKey: key)
            }
            self = .object(members)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }

    /// Any member name of an object.
    private struct MemberKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Compact JSON with object keys sorted: equal values give equal text.
    public var canonicalJSON: String {
        var output = ""
        write(to: &output)
        return output
    }

    package func write(to output: inout String) {
        var bytes = JSONBytes()
        write(to: &bytes)
        output += bytes.string
    }

    package func write(to output: inout JSONBytes) {
        switch self {
        case .null:
            output.append("null")
        case .bool(let value):
            output.append(value ? "true" : "false")
        case .number(let value):
            output.append(number: value)
        case .string(let value):
            output.append(quoted: value)
        case .array(let values):
            output.append(byte: UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(byte: UInt8(ascii: ",")) }
                value.write(to: &output)
            }
            output.append(byte: UInt8(ascii: "]"))
        case .object(let members):
            output.append(byte: UInt8(ascii: "{"))
            if members.count == 1, let (key, value) = members.first {
                output.append(quoted: key)
                output.append(byte: UInt8(ascii: ":"))
                value.write(to: &output)
            } else {
                for (index, key) in members.keys.sorted().enumerated() {
                    if index > 0 { output.append(byte: UInt8(ascii: ",")) }
                    output.append(quoted: key)
                    output.append(byte: UInt8(ascii: ":"))
                    members[key]!.write(to: &output)
                }
            }
            output.append(byte: UInt8(ascii: "}"))
        }
    }

    /// Integers without a fraction, other numbers in Swift's shortest round-trip form.
    package static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 9e15 { return String(Int64(value)) }
        return String(value)
    }

    package static func writeString(_ value: String, to output: inout String) {
        var bytes = JSONBytes(capacity: value.utf8.count + 2)
        bytes.append(quoted: value)
        output += bytes.string
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
}
