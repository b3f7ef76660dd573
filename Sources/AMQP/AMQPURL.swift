/// Where and how to reach a broker: `amqp[s]://user:password@host:port/vhost[?heartbeat=30&cacertfile=/path]`.
///
/// Follows the RabbitMQ URI specification: every part is percent-decoded, a missing port is 5672
/// (`amqp`) or 5671 (`amqps`), a missing user or password is `guest`, a missing path is the vhost `/`
/// (spell it `%2F` when you write it). Its ``description`` never shows the password, so a URL can be
/// logged; a malformed one gives a ``ParseError`` naming the wrong part, never echoing the password.
public struct AMQPURL: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// `amqp` (plain TCP) or `amqps` (TLS with peer and host name verification).
    public enum Scheme: String, Sendable, Hashable {
        case amqp
        case amqps

        /// The port used when the URL names none.
        public var defaultPort: Int { self == .amqp ? 5672 : 5671 }
    }

    public var scheme: Scheme
    public var user: String
    /// The password. Kept out of ``description`` and of every error.
    public var password: String
    public var host: String
    public var port: Int
    public var vhost: String
    /// `?heartbeat=` in seconds, if given; ``AMQPConfiguration`` uses it over its default.
    public var heartbeat: Int?
    /// `?cacertfile=`: a PEM file of CA certificates to trust for `amqps`, if given.
    public var caCertificateFile: String?

    /// Parses `string`, throwing a ``ParseError`` that names the part that is wrong.
    public init(_ string: String) throws(ParseError) {
        guard let schemeEnd = string.range(of: "://") else {
            throw ParseError(part: .scheme, reason: "missing '://' after the scheme (expected amqp:// or amqps://)")
        }
        let schemeText = string[..<schemeEnd.lowerBound].lowercased()
        guard let scheme = Scheme(rawValue: schemeText) else {
            throw ParseError(part: .scheme, reason: "unsupported scheme '\(Self.printable(schemeText))' (expected amqp or amqps)")
        }
        self.scheme = scheme

        var rest = string[schemeEnd.upperBound...]
        var query: Substring?
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        if rest.contains("#") {
            throw ParseError(part: .path, reason: "fragments ('#') are not allowed")
        }
        var path: Substring?
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }

        // Authority: [user[:password]@]host[:port]
        var hostPort = rest
        self.user = "guest"
        self.password = "guest"
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            hostPort = rest[rest.index(after: at)...]
            let userPart: Substring
            var passwordPart: Substring?
            if let colon = userInfo.firstIndex(of: ":") {
                userPart = userInfo[..<colon]
                passwordPart = userInfo[userInfo.index(after: colon)...]
            } else {
                userPart = userInfo
            }
            guard let user = Self.percentDecoded(userPart) else {
                throw ParseError(part: .user, reason: "invalid percent-encoding in the user name")
            }
            self.user = user
            if let passwordPart {
                guard let password = Self.percentDecoded(passwordPart) else {
                    throw ParseError(part: .password, reason: "invalid percent-encoding in the password")
                }
                self.password = password
            }
        }

        var hostText: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw ParseError(part: .host, reason: "unterminated IPv6 address (missing ']')")
            }
            hostText = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw ParseError(part: .host, reason: "unexpected characters after the IPv6 address")
                }
                portText = after.dropFirst()
            }
            guard !hostText.isEmpty, hostText.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw ParseError(part: .host, reason: "'\(Self.printable(hostText))' is not an IPv6 address")
            }
        } else {
            hostText = hostPort
            if let colon = hostPort.lastIndex(of: ":") {
                hostText = hostPort[..<colon]
                portText = hostPort[hostPort.index(after: colon)...]
            }
            guard let decoded = Self.percentDecoded(hostText) else {
                throw ParseError(part: .host, reason: "invalid percent-encoding in the host")
            }
            let allowed = decoded.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "." || $0 == "_"))
            }
            guard allowed else {
                throw ParseError(part: .host, reason: "'\(Self.printable(decoded))' is not a valid host name")
            }
            hostText = Substring(decoded)
        }
        self.host = hostText.isEmpty ? "localhost" : String(hostText)

        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
                  let port = Int(portText), (1...65535).contains(port)
            else {
                throw ParseError(part: .port, reason: "'\(Self.printable(portText))' is not a port number (1-65535)")
            }
            self.port = port
        } else {
            self.port = scheme.defaultPort
        }

        if let path {
            guard !path.contains("/") else {
                throw ParseError(part: .vhost, reason: "the vhost must be one path segment; write '/' inside it as %2F")
            }
            guard let vhost = Self.percentDecoded(path) else {
                throw ParseError(part: .vhost, reason: "invalid percent-encoding in the vhost")
            }
            guard !vhost.isEmpty else {
                throw ParseError(part: .vhost, reason: "the vhost is empty (write %2F for the default vhost '/')")
            }
            self.vhost = vhost
        } else {
            self.vhost = "/"
        }

        if let query, !query.isEmpty {
            for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(kv[0])
                let value = kv.count > 1 ? Self.percentDecoded(kv[1]) : nil
                switch key {
                case "heartbeat":
                    guard let value, let seconds = Int(value), seconds >= 0, seconds <= 65535 else {
                        throw ParseError(part: .query, reason: "heartbeat must be a number of seconds (0-65535)")
                    }
                    self.heartbeat = seconds
                case "cacertfile":
                    guard let value, !value.isEmpty else {
                        throw ParseError(part: .query, reason: "cacertfile needs a file path")
                    }
                    self.caCertificateFile = value
                default:
                    throw ParseError(part: .query, reason: "unknown option '\(Self.printable(key))' (known: heartbeat, cacertfile)")
                }
            }
        }
    }

    /// The URL with the password replaced by `***`: safe to log.
    public var description: String {
        var hostText = host.contains(":") ? "[\(host)]" : host
        hostText += ":\(port)"
        var text = "\(scheme.rawValue)://\(Self.percentEncoded(user)):***@\(hostText)/\(Self.percentEncoded(vhost))"
        var options: [String] = []
        if let heartbeat { options.append("heartbeat=\(heartbeat)") }
        if let caCertificateFile { options.append("cacertfile=\(Self.percentEncoded(caCertificateFile))") }
        if !options.isEmpty { text += "?" + options.joined(separator: "&") }
        return text
    }

    public var debugDescription: String { "AMQPURL(\(description))" }

    /// A URL part named in a ``ParseError``.
    public enum Part: String, Sendable, Hashable {
        case scheme, user, password, host, port, path, vhost, query
    }

    /// A malformed AMQP URL: which part is wrong and why. Never contains the password.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public let part: Part
        public let reason: String

        public var description: String { "invalid AMQP URL: bad \(part.rawValue): \(reason)" }
    }

    /// Percent-decodes `text`, or returns nil if an escape is malformed or the result is not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// A non-secret URL part as shown in an error: control characters escaped, long text cut.
    private static func printable(_ text: some StringProtocol) -> String {
        let cut = text.prefix(64)
        let cleaned = String(cut.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
        return cut.count < text.count ? cleaned + "…" : cleaned
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
