/// A growing UTF-8 buffer for JSON text.
///
/// Hot loops (tile geometries, sample FeatureCollections) append bytes here instead of going
/// through `String` appends and interpolation, then turn the buffer into a `String` once.
package struct JSONBytes {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    package var string: String { String(decoding: bytes, as: UTF8.self) }

    package mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    package mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    /// Text copied as it is (already valid JSON).
    package mutating func append(raw text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    package mutating func append(raw other: JSONBytes) {
        bytes.append(contentsOf: other.bytes)
    }

    /// A decimal integer.
    package mutating func append(integer value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        append(unsigned: value.magnitude)
    }

    private mutating func append(unsigned value: UInt64) {
        var digits = 1, limit: UInt64 = 10
        while digits < 20, value >= limit {
            digits += 1
            limit = limit &* 10
        }
        append(digitsOf: value, count: digits)
    }

    /// The last `count` decimal digits of `value`, zero-padded.
    private mutating func append(digitsOf value: UInt64, count: Int) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var rest = value, position = start + count - 1
        while rest > 0, position >= start {
            bytes[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            position -= 1
        }
    }

    /// A number as ``JSONValue/format(_:)`` spells it: integers without a fraction, others in
    /// Swift's shortest round-trip form, non-finite values as null.
    package mutating func append(number value: Double) {
        guard value.isFinite else { return append("null") }
        if value == value.rounded(), abs(value) < 9e15 { return append(integer: Int64(value)) }
        append(raw: String(value))
    }

    /// A coordinate with at most 9 decimals (0.1 mm in degrees), trailing zeros dropped.
    package mutating func append(coordinate value: Double) {
        guard value.isFinite, abs(value) < 1e9 else { return append(number: value) }
        let scaled = Int64((value * 1e9).rounded())
        if scaled < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = scaled.magnitude
        append(unsigned: magnitude / 1_000_000_000)
        var fraction = magnitude % 1_000_000_000
        guard fraction > 0 else { return }
        var digits = 9
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        bytes.append(UInt8(ascii: "."))
        append(digitsOf: fraction, count: digits)
    }

    /// A quoted, escaped JSON string.
    package mutating func append(quoted value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
                case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                case ..<0x20:
                    append("\\u00")
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0xF)])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
