import Foundation

/// The largest fields a status event or heartbeat may carry, in UTF-8 bytes (characters would let
/// one grapheme of endless combining marks pass). The recorder rejects a message beyond any of
/// them, naming the field; the worker clips what it sends (``clipped(_:to:)``) so its own messages
/// always fit. The largest event these allow (1000 assets of 8 KiB hrefs and 1 KiB titles) stays
/// well under ``body``, which is the broker's `max_message_size`.
public enum MessageLimits {
    /// A whole message body: RabbitMQ's `max_message_size` in `deploy/`; checked before parsing.
    public static let body = 16 * 1024 * 1024
    /// `message` of a status event.
    public static let message = 8 * 1024
    /// `error` of a status event.
    public static let error = 16 * 1024
    /// `trouble` of a heartbeat.
    public static let trouble = 4 * 1024
    /// Entries of a status event's `assets`.
    public static let assets = 1000
    /// An asset's `href` (an inline `data:` result included).
    public static let href = 8 * 1024
    /// An asset's `title`.
    public static let title = 1024
    /// Entries of a status event's `usage`.
    public static let usageEntries = 32
    /// A `usage` metric's name, and its unit.
    public static let usageName = 64

    /// Throws a rejection naming `field` when `value` is longer than `limit` bytes.
    static func check(_ value: String?, _ field: String, limit: Int) throws(MessageRejection) {
        guard let value, value.utf8.count > limit else { return }
        throw MessageRejection("field '\(field)' is \(value.utf8.count) bytes, more than the limit of \(limit)")
    }

    /// Why a body of `size` bytes is refused.
    static func oversizeBody(_ size: Int) -> String {
        "the message is \(size) bytes, more than the limit of \(body)"
    }

    /// `text` cut to at most `limit` UTF-8 bytes, never inside a Unicode scalar.
    public static func clipped(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var bytes = 0
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            guard bytes <= limit else { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }
}
