import Testing

@testable import HTTP

@Suite struct HTTPHeaderLineTests {
    private func parse(_ text: String) -> HTTPHeaderLine {
        Array(text.utf8).withUnsafeBytes { HTTPHeaderLine($0) }
    }

    @Test func statusLinesGiveTheirCode() {
        #expect(parse("HTTP/1.1 200 OK\r\n") == .status(200))
        #expect(parse("HTTP/2 429 \r\n") == .status(429))
        #expect(parse("HTTP/1.1 100 Continue\r\n") == .status(100))
        #expect(parse("HTTP/1.1 OK\r\n") == .status(0))
        #expect(parse("HTTP/1.1\r\n") == .status(0))
    }

    @Test func fieldsAreSplitAtTheFirstColonAndTrimmed() {
        #expect(parse("Content-Type: application/json\r\n") == .field(name: "Content-Type", value: "application/json"))
        #expect(parse("Location:\thttp://x.example/jobs/1 \r\n") == .field(name: "Location", value: "http://x.example/jobs/1"))
        #expect(parse("Retry-After:5\n") == .field(name: "Retry-After", value: "5"))
        #expect(parse("X-Empty:\r\n") == .field(name: "X-Empty", value: ""))
        #expect(parse(" Name : a: b \r\n") == .field(name: "Name", value: "a: b"))
    }

    @Test func blankAndMalformedLinesAreNeither() {
        #expect(parse("\r\n") == .other)
        #expect(parse("") == .other)
        #expect(parse("   \t ") == .other)
        #expect(parse("no colon here\r\n") == .other)
    }

    @Test func invalidUTF8IsRepairedNotTrapped() {
        let bytes: [UInt8] = Array("X-Bin: ".utf8) + [0xFF, 0xFE] + Array("\r\n".utf8)
        let parsed = bytes.withUnsafeBytes { HTTPHeaderLine($0) }
        #expect(parsed == .field(name: "X-Bin", value: "\u{FFFD}\u{FFFD}"))
    }
}
