/// Rows encoded in COPY's text format, ready for `COPY … FROM STDIN`, in chunks of about
/// `chunkSize` bytes so large loads stream without one huge allocation.
public struct PostgresCopyBuffer: Sendable {
    public private(set) var chunks: [[UInt8]] = []
    public private(set) var rowCount = 0
    private var current: [UInt8] = []
    public let chunkSize: Int

    public init(chunkSize: Int = 64 * 1024) {
        self.chunkSize = chunkSize
        current.reserveCapacity(chunkSize + 1024)
    }

    /// Appends one row; `nil` is SQL NULL.
    public mutating func append(_ row: [(any PostgresEncodable)?]) {
        for (i, value) in row.enumerated() {
            if i > 0 { current.append(UInt8(ascii: "\t")) }
            guard let value else {
                current.append(UInt8(ascii: "\\"))
                current.append(UInt8(ascii: "N"))
                continue
            }
            appendEscaped(value)
        }
        finishRow()
    }

    /// Appends an integer field without going through a String.
    public mutating func appendField(_ value: Int, first: Bool = false) {
        if !first { current.append(UInt8(ascii: "\t")) }
        if value == 0 { current.append(UInt8(ascii: "0")); return }
        var v = value.magnitude
        if value < 0 { current.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while v > 0 {
                buf[n] = UInt8(v % 10) + 48
                v /= 10
                n += 1
            }
            for i in stride(from: n - 1, through: 0, by: -1) { current.append(buf[i]) }
        }
    }

    /// Appends a text field (escaped), or NULL.
    public mutating func appendField(_ value: (any PostgresEncodable)?, first: Bool = false) {
        if !first { current.append(UInt8(ascii: "\t")) }
        guard let value else {
            current.append(UInt8(ascii: "\\"))
            current.append(UInt8(ascii: "N"))
            return
        }
        appendEscaped(value)
    }

    /// Ends the row started with `appendField`.
    public mutating func finishRow() {
        current.append(UInt8(ascii: "\n"))
        rowCount += 1
        if current.count >= chunkSize {
            chunks.append(current)
            current = []
            current.reserveCapacity(chunkSize + 1024)
        }
    }

    /// All chunks including the partly filled last one.
    var allChunks: [[UInt8]] {
        current.isEmpty ? chunks : chunks + [current]
    }

    /// Hands over the full chunks (with `all`, the partly filled one too) and forgets them, so a
    /// streaming COPY holds one chunk at a time; ``rowCount`` keeps counting.
    mutating func takeChunks(all: Bool = false) -> [[UInt8]] {
        var taken = chunks
        chunks = []
        if all, !current.isEmpty {
            taken.append(current)
            current = []
            current.reserveCapacity(chunkSize + 1024)
        }
        return taken
    }

    private mutating func appendEscaped(_ value: any PostgresEncodable) {
        var text = value.postgresText
        text.withUTF8 { utf8 in
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): current.append(UInt8(ascii: "\\")); current.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\n"): current.append(UInt8(ascii: "\\")); current.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): current.append(UInt8(ascii: "\\")); current.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): current.append(UInt8(ascii: "\\")); current.append(UInt8(ascii: "t"))
                default: current.append(byte)
                }
            }
        }
    }
}
