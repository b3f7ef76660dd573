/// Where JSON text stops being JSON: the line, the column and what was found, for error messages
/// (Foundation's decoder says only "The given data was not valid JSON", and calls `1e400` a type
/// mismatch). A strict RFC 8259 scanner; numbers must fit a Double.
public enum JSONSyntax {
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based.
        public var line: Int
        /// 1-based, in characters.
        public var column: Int
        public var message: String

        public var description: String { "\(message) at line \(line), column \(column)" }
    }

    /// The first syntax problem of `text`, or nil when it is valid JSON.
    public static func problem(in text: String) -> Problem? {
        var scanner = Scanner(bytes: Array(text.utf8))
        do throws(Problem) {
            scanner.skipSpace()
            try scanner.value(depth: 0)
            scanner.skipSpace()
            if scanner.index < scanner.bytes.count { throw scanner.fail("unexpected \(scanner.found) after the JSON value") }
            return nil
        } catch {
            return error
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var found: String {
            guard index < bytes.count else { return "end of input" }
            let byte = bytes[index]
            if byte >= 0x20, byte < 0x7f { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "byte 0x\(String(byte, radix: 16))"
        }

        func fail(_ message: String, at position: Int? = nil) -> Problem {
            let end = min(position ?? index, bytes.count)
            var line = 1, column = 1
            for byte in bytes[0..<end] {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            return Problem(line: line, column: column, message: message)
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(Problem) {
            guard index < bytes.count, bytes[index] == byte else { throw fail("expected \(what), found \(found)") }
            index += 1
        }

        mutating func value(depth: Int) throws(Problem) {
            guard depth < 512 else { throw fail("nested more than 512 levels deep") }
            guard index < bytes.count else { throw fail("expected a value, found end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a \"key\", found \(found)") }
                    try string()
                    skipSpace()
                    try expect(UInt8(ascii: ":"), "':' after the key")
                    skipSpace()
                    try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw fail("expected ',' or '}', found end of input") }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return }
                    try expect(UInt8(ascii: ","), "',' or '}'")
                }
            case UInt8(ascii: "["):
                index += 1
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return }
                while true {
                    skipSpace()
                    try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw fail("expected ',' or ']', found end of input") }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return }
                    try expect(UInt8(ascii: ","), "',' or ']'")
                }
            case UInt8(ascii: "\""):
                try string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try number()
            default:
                for word in ["true", "false", "null"] where bytes[index...].starts(with: word.utf8) {
                    index += word.utf8.count
                    return
                }
                throw fail("expected a value, found \(found)")
            }
        }

        mutating func string() throws(Problem) {
            let start = index
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { index += 1; return }
                if byte < 0x20 { throw fail("a control character inside a string (write it as \\u00\(byte < 16 ? "0" : "")\(String(byte, radix: 16)))") }
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < bytes.count else { break }
                    if bytes[index] == UInt8(ascii: "u") {
                        let hex = bytes[(index + 1)...].prefix(4)
                        guard hex.count == 4, hex.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }) else {
                            throw fail("\\u needs four hex digits")
                        }
                        index += 4
                    } else if !"\"\\/bfnrt".utf8.contains(bytes[index]) {
                        throw fail("unknown escape \\\(Character(Unicode.Scalar(bytes[index])))")
                    }
                }
                index += 1
            }
            throw fail("a string is not closed", at: start)
        }

        mutating func number() throws(Problem) {
            let start = index
            func digits() -> Int {
                let first = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - first
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let integer = digits()
            guard integer > 0 else { throw fail("expected a digit, found \(found)") }
            if integer > 1, bytes[start + (bytes[start] == UInt8(ascii: "-") ? 1 : 0)] == UInt8(ascii: "0") {
                throw fail("a number may not start with 0", at: start)
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw fail("expected a digit after '.', found \(found)") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw fail("expected a digit in the exponent, found \(found)") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard Double(text)?.isFinite == true else { throw fail("the number \(text) is out of range", at: start) }
        }
    }
}
