import Foundation

/// A Swift type a column value (in PostgreSQL's text output format) can be decoded into.
public protocol PostgresDecodable: Sendable {
    init(postgresText: String, type: PostgresDataType) throws(PostgresError)
}

private func decodingError(_ text: String, _ target: String) -> PostgresError {
    PostgresError(kind: .decoding, message: "cannot decode '\(text.prefix(64))' as \(target)")
}

extension String: PostgresDecodable {
    public init(postgresText: String, type: PostgresDataType) { self = postgresText }
}

extension Int: PostgresDecodable {
    public init(postgresText: String, type: PostgresDataType) throws(PostgresError) {
        guard let v = Int(postgresText) else { throw decodingError(postgresText, "Int") }
        self = v
    }
}

extension Int64: PostgresDecodable {
    public init(postgresText: String, type: PostgresDataType) throws(PostgresError) {
        guard let v = Int64(postgresText) else { throw decodingError(postgresText, "Int64") }
        self = v
    }
}

extension Int32: PostgresDecodable {
    public init(postgresText: String, type: PostgresDataType) throws(PostgresError) {
        guard let v = Int32(postgresText) else { throw decodingError(postgresText, "Int32") }
        self = v
    }
}

extension Double: PostgresDecodable {
    public init(postgresText: String, type: PostgresDataType) throws(PostgresError) {
        switch postgresText {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let v = Double(postgresText) else { throw decodingError(postgresText, "Double") }
            self = v
        }
    }
}

extension Bool: PostgresDecodable {
    public init(postgresText: String, type: PostgresDataType) throws(PostgresError) {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw decodingError(postgresText, "Bool")
        }
    }
}

extension UUID: PostgresDecodable {
    public init(postgresText: String, type: PostgresDataType) throws(PostgresError) {
        guard let v = UUID(uuidString: postgresText) else { throw decodingError(postgresText, "UUID") }
        self = v
    }
}

extension Date: PostgresDecodable {
    public init(postgresText: String, type: PostgresDataType) throws(PostgresError) {
        guard let v = PostgresTimestamp.parse(postgresText) else { throw decodingError(postgresText, "Date") }
        self = v
    }
}
