/// Percent-coding and host:port splitting shared by URL parsers.
enum URLComponentCoding {
    static func percentDecode<S: StringProtocol>(_ s: S) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(s.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let h = iterator.next(), let l = iterator.next(),
                      let hi = hexValue(h), let lo = hexValue(l) else { return nil }
                bytes.append(hi << 4 | lo)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func percentEncode(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Splits `host[:port]` or `[v6]:port`. An empty host is `nil` (it may come from `?host=`).
    static func splitHostPort(_ s: Substring, defaultPort: Int) -> Result<(String?, Int), PostgresError> {
        var host = s
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                return .failure(.invalidURL(part: "host", reason: "unterminated IPv6 address"))
            }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                return .failure(.invalidURL(part: "host", reason: "unexpected '\(after)' after IPv6 address"))
            }
        } else if let colon = host.lastIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        var port = defaultPort
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else {
                return .failure(.invalidURL(part: "port", reason: "'\(portText)' is not a port number (1-65535)"))
            }
            port = p
        }
        guard let decoded = percentDecode(host) else {
            return .failure(.invalidURL(part: "host", reason: "invalid percent-encoding"))
        }
        if decoded.contains(where: { $0 == " " || $0 == "/" || $0 == "@" || $0 == "," }) {
            return .failure(.invalidURL(part: "host", reason: "'\(decoded)' is not a host name"))
        }
        return .success((decoded.isEmpty ? nil : decoded, port))
    }
}
