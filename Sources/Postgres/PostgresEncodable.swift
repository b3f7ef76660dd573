import Foundation

/// A Swift value that can be sent as a query parameter (in PostgreSQL's text format).
public protocol PostgresEncodable: Sendable {
    static var postgresDataType: PostgresDataType { get }
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
}

extension String: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .text }
    public var postgresText: String { self }
}

extension Int: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .int8 }
    public var postgresText: String { String(self) }
}

extension Int64: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .int8 }
    public var postgresText: String { String(self) }
}

extension Int32: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .int4 }
    public var postgresText: String { String(self) }
}

extension Double: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .float8 }
    public var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
}

extension Bool: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .bool }
    public var postgresText: String { self ? "t" : "f" }
}

extension UUID: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .uuid }
    public var postgresText: String { uuidString.lowercased() }
}

extension Date: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .timestamptz }
    public var postgresText: String { PostgresTimestamp.format(self) }
}

/// A JSON document sent as `jsonb` (or decoded from `json`/`jsonb`), kept as its text.
public struct PostgresJSON: PostgresEncodable, PostgresDecodable, Equatable {
    public static var postgresDataType: PostgresDataType { .jsonb }
    public var text: String
    public var postgresText: String { text }

    /// Wraps JSON text as is.
    public init(text: String) { self.text = text }

    /// Encodes a value with sorted keys, so equal values give equal text.
    public init<T: Encodable>(_ value: T, encoder: JSONEncoder = PostgresJSON.defaultEncoder) throws {
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public init(postgresText: String, type: PostgresDataType) throws(PostgresError) {
        self.text = postgresText
    }

    /// Decodes the document into a Swift type.
    public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    public static var defaultEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// Raw bytes sent and read as `bytea`.
public struct PostgresBytes: PostgresEncodable, PostgresDecodable, Equatable {
    public static var postgresDataType: PostgresDataType { .bytea }
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var postgresText: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        out.reserveCapacity(2 + bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public init(postgresText: String, type: PostgresDataType) throws(PostgresError) {
        let utf8 = Array(postgresText.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw PostgresError(kind: .decoding, message: "bytea value is not in hex format")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            guard let hi = Self.hex(utf8[i]), let lo = Self.hex(utf8[i + 1]) else {
                throw PostgresError(kind: .decoding, message: "bytea value has a non-hex digit")
            }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self.bytes = bytes
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
