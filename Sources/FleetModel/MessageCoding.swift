import Foundation

/// JSON coding for every fleet message: ISO 8601 times with fractional seconds, sorted keys.
public enum MessageCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(iso8601))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = parseTime(text) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 time")
        }
        return decoder
    }

    static let iso8601 = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// A message's time: ISO 8601, with or without fractional seconds.
    static func parseTime(_ text: String) -> Date? {
        if let date = try? iso8601.parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    /// A decoding error as a short reason naming the field.
    public static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let parent = path(context)
            return "missing field '\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            return "field '\(path(context))': \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// Why a message body could not be accepted; recorded with the message, never dropped.
public struct MessageRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension MessageCoding {
    /// Decodes a versioned message: a JSON object whose `schema` is exactly `schema`, then `T`.
    /// Every failure names what is wrong.
    public static func decode<T: Decodable & VersionedMessage>(_ type: T.Type, from body: [UInt8], schema expected: String,
                                                               reader: String) throws(MessageRejection) -> T {
        guard body.count <= MessageLimits.body else {
            throw MessageRejection(MessageLimits.oversizeBody(body.count))
        }
        let data = Data(body)
        // The common case costs one parse; the diagnosis below runs only for a message that fails.
        if let message = try? decoder().decode(type, from: data), message.schema == expected {
            return message
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw MessageRejection("not a JSON object")
        }
        guard let schema = object["schema"] as? String else {
            throw MessageRejection("missing field 'schema'")
        }
        guard schema == expected else {
            throw MessageRejection("unsupported schema '\(schema)' (this \(reader) reads '\(expected)')")
        }
        do {
            return try decoder().decode(type, from: data)
        } catch {
            throw MessageRejection(describe(error))
        }
    }
}

/// A message with a `schema` field naming its wire version.
public protocol VersionedMessage {
    var schema: String { get }
}

extension VersionedMessage where Self: Encodable {
    /// The message as its JSON wire form (encoding these shapes cannot fail).
    public func encoded() -> [UInt8] {
        Array((try? MessageCoding.encoder().encode(self)) ?? Data())
    }
}

extension MessageCoding {
    /// The fields every per-tile message needs: a task, a tile and an attempt of at least 1.
    static func checkTileAttempt(task: String, tile: String, attempt: Int) throws(MessageRejection) {
        guard !task.isEmpty else { throw MessageRejection("field 'task' is empty") }
        guard !tile.isEmpty else { throw MessageRejection("field 'tile' is empty") }
        guard attempt >= 1 else { throw MessageRejection("field 'attempt' must be ≥ 1, got \(attempt)") }
    }
}

extension StatusEvent: VersionedMessage {}

extension StatusEvent {
    /// Decodes and validates a status event, naming what is wrong.
    public static func decode(_ body: [UInt8]) throws(MessageRejection) -> StatusEvent {
        guard body.count <= MessageLimits.body else {
            throw MessageRejection(MessageLimits.oversizeBody(body.count))
        }
        let event: StatusEvent
        if let flat = decodeFlat(body) {
            event = flat
        } else {
            event = try MessageCoding.decode(StatusEvent.self, from: body, schema: Self.schema, reader: "recorder")
        }
        try MessageCoding.checkTileAttempt(task: event.task, tile: event.tile, attempt: event.attempt)
        if let p = event.progress, !(0...1).contains(p) {
            throw MessageRejection("field 'progress' must be within 0…1, got \(p)")
        }
        try event.checkSizes()
        return event
    }

    /// Throws a rejection naming the first field beyond its ``MessageLimits``.
    func checkSizes() throws(MessageRejection) {
        try MessageLimits.check(message, "message", limit: MessageLimits.message)
        try MessageLimits.check(error, "error", limit: MessageLimits.error)
        try checkUsage()
        guard let assets else { return }
        guard assets.count <= MessageLimits.assets else {
            throw MessageRejection("field 'assets' has \(assets.count) entries, more than the limit of \(MessageLimits.assets)")
        }
        for (index, asset) in assets.enumerated() {
            try MessageLimits.check(asset.href, "assets[\(index)].href", limit: MessageLimits.href)
            try MessageLimits.check(asset.title, "assets[\(index)].title", limit: MessageLimits.title)
            try MessageLimits.check(asset.key, "assets[\(index)].key", limit: MessageLimits.title)
        }
    }

    /// Costs are a finite number ≥ 0; usage has at most ``MessageLimits/usageEntries`` metrics,
    /// each with a short name and unit and a finite value.
    func checkUsage() throws(MessageRejection) {
        if let costs, !(costs.isFinite && costs >= 0) {
            throw MessageRejection("field 'costs' must be a finite number ≥ 0, got \(costs)")
        }
        guard let usage else { return }
        guard usage.count <= MessageLimits.usageEntries else {
            throw MessageRejection("field 'usage' has \(usage.count) entries, more than the limit of \(MessageLimits.usageEntries)")
        }
        for (name, quantity) in usage.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty else { throw MessageRejection("field 'usage' has an entry with an empty name") }
            try MessageLimits.check(name, "usage key", limit: MessageLimits.usageName)
            try MessageLimits.check(quantity.unit, "usage.\(name).unit", limit: MessageLimits.usageName)
            guard quantity.value.isFinite else {
                throw MessageRejection("field 'usage.\(name).value' must be a finite number, got \(quantity.value)")
            }
        }
    }
}
