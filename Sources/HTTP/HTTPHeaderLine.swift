/// One line of a response head as curl hands it over (`HTTP/1.1 200 OK\r\n`, `Name: value\r\n`),
/// parsed on its bytes: this runs for every header of every response, so it stays clear of
/// Foundation's `CharacterSet` trimming, which showed up as a tenth of a busy worker's CPU.
enum HTTPHeaderLine: Equatable {
    /// A status line: a new response begins (after a redirect or a `100 Continue`).
    case status(Int)
    /// A header field, its name and value stripped of surrounding spaces and tabs.
    case field(name: String, value: String)
    /// A blank line (the end of the head) or one that is neither.
    case other

    init(_ bytes: UnsafeRawBufferPointer) {
        let line = Self.trimmed(bytes[...])
        if line.isEmpty {
            self = .other
        } else if line.starts(with: Self.statusPrefix) {
            // `HTTP/1.1 200 OK`: the code is the second space-separated part.
            let afterVersion = line.drop { $0 != UInt8(ascii: " ") }
            let code = Self.trimmed(afterVersion).prefix { $0 != UInt8(ascii: " ") }
            self = .status(Int(String(decoding: code, as: UTF8.self)) ?? 0)
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            self = .field(name: String(decoding: Self.trimmed(line[..<colon]), as: UTF8.self),
                          value: String(decoding: Self.trimmed(line[(colon + 1)...]), as: UTF8.self))
        } else {
            self = .other
        }
    }

    private static let statusPrefix = Array("HTTP/".utf8)

    /// `bytes` without leading and trailing spaces, tabs, CRs and LFs.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return bytes[bytes.startIndex..<bytes.startIndex]
        }
        return bytes[first...last]
    }
}
