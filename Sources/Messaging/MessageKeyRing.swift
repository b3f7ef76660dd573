import Crypto
import FleetModel
import Foundation

/// The keys that tag fleet messages as genuine: HMAC-SHA256 over the message body, so that
/// publish rights on the broker alone cannot order work (and spend the platform's credits) or
/// forge a tile's status. The first key signs; every key verifies, which is how a key is rotated
/// without downtime (docs/operations.md): add the new key second, make it first, retire the old.
///
/// A tag names its key by an 8-hex-digit id (the start of the key's SHA-256), so a verifier
/// tries one key, not all. Each ``Purpose`` mixes its own label into the MAC: a work key that is
/// also used for events cannot turn an event into a work item.
public struct MessageKeyRing: Sendable {
    /// What a tag vouches for.
    public enum Purpose: String, Sendable {
        /// Work items: the coordinator's orders and the workers' follow-ups.
        case work
        /// Status events, heartbeats and ticks: what the recorder applies.
        case events
    }

    /// One key and its public id.
    struct Key: Sendable {
        var id: String
        var key: SymmetricKey
    }

    let keys: [Key]

    /// Why a key file cannot be used: its path (and line) and the reason.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The fewest bytes a key may have (256 bits, SHA-256's block strength).
    public static let minimumKeyBytes = 32

    /// Reads a key file's text: one key per line, hex or base64, at least 32 bytes each; blank
    /// lines and lines starting with `#` are ignored. `source` names the file in errors.
    public init(parsing text: String, source: String) throws(Problem) {
        var keys: [Key] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let bytes = Self.decode(line) else {
                throw Problem("\(source):\(index + 1): not a key (expected hex or base64 of at least \(Self.minimumKeyBytes) bytes)")
            }
            guard bytes.count >= Self.minimumKeyBytes else {
                throw Problem("\(source):\(index + 1): the key has \(bytes.count) bytes, fewer than \(Self.minimumKeyBytes)")
            }
            let key = SymmetricKey(data: bytes)
            let id = Self.identifier(of: bytes)
            guard !keys.contains(where: { $0.id == id }) else {
                throw Problem("\(source):\(index + 1): the same key appears twice")
            }
            keys.append(Key(id: id, key: key))
        }
        guard !keys.isEmpty else { throw Problem("\(source): no key in the file") }
        self.keys = keys
    }

    /// The id of the key that signs.
    public var signingKeyID: String { keys[0].id }

    /// The ids of every key accepted, the signing key first.
    public var keyIDs: [String] { keys.map(\.id) }

    /// The tag of `body` for `purpose`: `<key id>.<hex HMAC>`.
    public func tag(_ body: [UInt8], purpose: Purpose) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Self.signed(body, purpose), using: keys[0].key)
        return keys[0].id + "." + Self.hex(Array(code))
    }

    /// Why `tag` does not vouch for `body`, or `nil` when it does (compared in constant time).
    public func problem(with tag: String?, body: [UInt8], purpose: Purpose) -> String? {
        guard let tag else { return "no authenticity tag (header '\(MessageSigning.tagHeader)')" }
        let parts = tag.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let code = Self.unhex(parts[1]), code.count == SHA256.byteCount else {
            return "malformed authenticity tag (expected '<key id>.<64 hex digits>')"
        }
        guard let key = keys.first(where: { $0.id == parts[0] }) else {
            return "authenticity tag made with an unknown key '\(Self.printable(parts[0]))' (accepted: \(keyIDs.joined(separator: ", ")))"
        }
        guard HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: Self.signed(body, purpose), using: key.key) else {
            return "authenticity tag does not match the message (key '\(key.id)')"
        }
        return nil
    }

    /// A fresh random key as one hex line.
    public static func newKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { hex(Array($0)) }
    }

    static func signed(_ body: [UInt8], _ purpose: Purpose) -> [UInt8] {
        Array("tilefleet-\(purpose.rawValue)-v1".utf8) + [0] + body
    }

    static func identifier(of key: [UInt8]) -> String {
        String(hex(Array(SHA256.hash(data: key))).prefix(8))
    }

    static func decode(_ text: String) -> [UInt8]? {
        if text.count.isMultiple(of: 2), let bytes = unhex(Substring(text)) { return bytes }
        if let data = Data(base64Encoded: text) { return Array(data) }
        return nil
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty, utf8.count.isMultiple(of: 2) else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    /// At most 16 characters of a key id from a message, control characters replaced.
    static func printable(_ text: Substring) -> String {
        String(text.prefix(16).unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
    }
}
