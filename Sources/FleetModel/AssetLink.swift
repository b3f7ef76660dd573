import Foundation

/// A result asset's `href` judged before anything follows it: an absolute `http`/`https` URL to
/// fetch, or an RFC 2397 `data:` URL whose bytes are inline. Every other scheme (`file:`,
/// `javascript:`, `ftp:`, relative paths) is refused: a backend's answer crosses a trust boundary,
/// and tilefleet neither fetches nor republishes what it cannot check.
public enum AssetLink: Sendable, Equatable {
    /// An absolute `http`/`https` URL with a host.
    case remote(URL)
    /// The decoded bytes of a `data:` URL and its media type (`nil` when the URL names none).
    case inline(mediaType: String?, bytes: Data)

    /// Why an href is refused.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The role that marks an asset kept only as a note of a refused href (see ``noteHref(_:)``).
    public static let rejectedRole = "rejected"

    /// Judges `href`; throws a ``Refusal`` naming what is wrong.
    public init(href: String) throws(Refusal) {
        guard !href.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) else {
            throw Refusal(reason: "the href contains spaces or control characters")
        }
        guard let colon = href.firstIndex(of: ":"), href[..<colon].range(of: "^[A-Za-z][A-Za-z0-9+.-]*$", options: .regularExpression) != nil else {
            throw Refusal(reason: "the href is not an absolute URL")
        }
        let scheme = href[..<colon].lowercased()
        switch scheme {
        case "http", "https":
            guard let url = URL(string: href), let host = url.host, !host.isEmpty else {
                throw Refusal(reason: "the \(scheme) URL has no host")
            }
            self = .remote(url)
        case "data":
            self = try Self.decodeData(href[href.index(after: colon)...])
        default:
            throw Refusal(reason: "the scheme '\(scheme)' is not fetched (only http, https and data)")
        }
    }

    /// Whether `href` is something tilefleet may fetch and publish.
    public static func isAcceptable(_ href: String) -> Bool {
        (try? AssetLink(href: href)) != nil
    }

    /// `data:[<media type>][;base64],<data>` → bytes.
    private static func decodeData(_ rest: Substring) throws(Refusal) -> AssetLink {
        guard let comma = rest.firstIndex(of: ",") else {
            throw Refusal(reason: "the data URL has no ',' before its data")
        }
        var parameters = rest[..<comma].split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        let isBase64 = parameters.last?.lowercased() == "base64"
        if isBase64 { parameters.removeLast() }
        let mediaType = parameters.first.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        guard let bytes = Self.percentDecoded(rest[rest.index(after: comma)...].utf8) else {
            throw Refusal(reason: "the data URL has malformed percent-encoding")
        }
        guard isBase64 else { return .inline(mediaType: mediaType, bytes: bytes) }
        guard let decoded = Data(base64Encoded: bytes) else {
            throw Refusal(reason: "the data URL is marked base64 but is not valid base64")
        }
        return .inline(mediaType: mediaType, bytes: decoded)
    }

    /// `%XX` sequences → bytes; `nil` when one is malformed.
    private static func percentDecoded(_ utf8: Substring.UTF8View) -> Data? {
        var bytes = Data()
        bytes.reserveCapacity(utf8.count)
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(\.hexDigitValue), let low = iterator.next().flatMap(\.hexDigitValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    /// An inert `data:` href carrying `text`: how a refused asset is kept as a note.
    public static func noteHref(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return "data:text/plain;charset=utf-8," + (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
    }

    /// The note that replaces a refused asset named `name`: its text names the asset and the reason,
    /// never the refused href itself (which stays out of the database, STAC and downloads).
    public static func rejectionNote(name: String, reason: String) -> String {
        "asset '\(name)' rejected: \(reason)"
    }
}
