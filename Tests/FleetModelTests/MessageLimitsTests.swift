import FleetModel
import Foundation
import Testing

/// Oversize fields are refused by the decoders, naming the field; the worker's clipping keeps its
/// own messages within the same limits.
@Suite struct MessageLimitsTests {
    static let time = Date(timeIntervalSince1970: 1_780_000_000)

    static func event(message: String? = nil, error: String? = nil, assets: [StatusEvent.Asset]? = nil) -> StatusEvent {
        StatusEvent(task: "t", tile: "a", attempt: 1, status: .finished, message: message, assets: assets, error: error, time: time)
    }

    static func reason(_ body: [UInt8]) -> String? {
        do {
            _ = try RecorderMessage.decode(body)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func fieldsAtTheirLimitPassAndOneByteMoreIsRefusedByName() throws {
        let atLimit = Self.event(message: String(repeating: "m", count: MessageLimits.message),
                                 error: String(repeating: "e", count: MessageLimits.error),
                                 assets: Array(repeating: .init(href: "https://x/" + String(repeating: "h", count: MessageLimits.href - 10),
                                                                title: String(repeating: "t", count: MessageLimits.title)),
                                               count: 3))
        #expect(try StatusEvent.decode(atLimit.encoded()) == atLimit)

        #expect(Self.reason(Self.event(message: String(repeating: "m", count: MessageLimits.message + 1)).encoded())
                == "field 'message' is \(MessageLimits.message + 1) bytes, more than the limit of \(MessageLimits.message)")
        #expect(Self.reason(Self.event(error: String(repeating: "e", count: MessageLimits.error + 1)).encoded())?
                    .hasPrefix("field 'error' is") == true)
        let longHref = StatusEvent.Asset(href: "https://x/" + String(repeating: "h", count: MessageLimits.href))
        #expect(Self.reason(Self.event(assets: [.init(href: "https://x/a"), longHref]).encoded())?
                    .hasPrefix("field 'assets[1].href' is") == true)
        #expect(Self.reason(Self.event(assets: [.init(href: "https://x/a", title: String(repeating: "t", count: MessageLimits.title + 1))]).encoded())?
                    .hasPrefix("field 'assets[0].title' is") == true)
        let many = Array(repeating: StatusEvent.Asset(href: "https://x/a"), count: MessageLimits.assets + 1)
        #expect(Self.reason(Self.event(assets: many).encoded())
                == "field 'assets' has \(MessageLimits.assets + 1) entries, more than the limit of \(MessageLimits.assets)")
    }

    @Test func sizesAreBytesSoCombiningMarksCannotHideLength() throws {
        // One character (a grapheme) of 5000 combining marks: 10 001 bytes.
        let one = "a" + String(repeating: "\u{0301}", count: 5000)
        #expect(one.count == 1)
        #expect(Self.reason(Self.event(message: one).encoded())?.hasPrefix("field 'message' is 10001 bytes") == true)
    }

    @Test func aTenMegabyteMessageAndAnOversizeBodyAreRefused() {
        let huge = Self.event(message: String(repeating: "x", count: 10 * 1024 * 1024))
        #expect(Self.reason(huge.encoded())?.hasPrefix("field 'message' is 10485760 bytes") == true)
        let body = Array(repeating: UInt8(ascii: " "), count: MessageLimits.body + 1)
        #expect(Self.reason(body) == "the message is \(MessageLimits.body + 1) bytes, more than the limit of \(MessageLimits.body)")
        #expect(throws: MessageRejection("the message is \(MessageLimits.body + 1) bytes, more than the limit of \(MessageLimits.body)")) {
            try Heartbeat.decode(body)
        }
    }

    @Test func heartbeatTroubleIsBoundedInBytes() throws {
        var beat = Heartbeat(task: "t", tile: "a", attempt: 1, time: Self.time, trouble: String(repeating: "é", count: MessageLimits.trouble / 2))
        #expect(try Heartbeat.decode(beat.encoded()) == beat)
        beat.trouble = String(repeating: "é", count: MessageLimits.trouble / 2 + 1)
        #expect(Self.reason(beat.encoded()) == "field 'trouble' is \(MessageLimits.trouble + 2) bytes, more than the limit of \(MessageLimits.trouble)")
    }

    @Test func clippingCutsAtAScalarBoundaryWithinTheLimit() {
        #expect(MessageLimits.clipped("abc", to: 10) == "abc")
        #expect(MessageLimits.clipped("aéé", to: 4) == "aé")
        #expect(MessageLimits.clipped("aéé", to: 5) == "aéé")
        let clipped = MessageLimits.clipped(String(repeating: "€", count: 5000), to: MessageLimits.message)
        #expect(clipped.utf8.count <= MessageLimits.message && clipped.utf8.count > MessageLimits.message - 3)
        #expect(Self.reason(Self.event(message: clipped).encoded()) == nil)
    }
}
