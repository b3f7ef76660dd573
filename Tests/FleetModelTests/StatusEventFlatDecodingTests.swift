@testable import FleetModel
import Foundation
import Testing

/// The recorder's fast path for flat status events must read exactly what `JSONDecoder` reads,
/// and leave everything else to it.
@Suite struct StatusEventFlatDecodingTests {
    /// What the Codable path makes of `body` (the reference).
    private func codable(_ body: [UInt8]) throws -> StatusEvent {
        try MessageCoding.decode(StatusEvent.self, from: body, schema: StatusEvent.schema, reader: "test")
    }

    @Test func readsSeededEventsAsJSONDecoderDoes() throws {
        var random = SplitMix64(seed: 20)
        let statuses = EventStatus.allCases
        func text(_ prefix: String) -> String? {
            random.next() % 3 == 0 ? nil : "\(prefix)-\(random.next() % 100_000)"
        }
        var read = 0
        for i in 0..<2_000 {
            var event = StatusEvent(
                task: "task-\(i % 7)", tile: "3263\(i % 10)-E\(i)-N\(random.next() % 9_000)", attempt: Int(random.next() % 5) + 1,
                status: statuses[Int(random.next() % UInt64(statuses.count))], rawStatus: text("raw"), backend: text("b"),
                backendJobID: text("job"), progress: random.next() % 2 == 0 ? nil : Double(random.next() % 1_000) / 1_000,
                message: text("note with spaces, punctuation: ;{}[]"), error: text("error"), worker: text("host:1"),
                time: Date(timeIntervalSince1970: 1_780_000_000 + random.nextUnit() * 10_000_000))
            if random.next() % 4 == 0 { event.costs = (random.nextUnit() * 1_000).rounded() / 100 }
            if random.next() % 4 == 0 { event.cancelUnconfirmed = random.next() % 2 == 0 }
            if random.next() % 4 == 0 { event.released = random.next() % 2 == 0 }
            if random.next() % 4 == 0 { event.parked = random.next() % 2 == 0 }
            let body = event.encoded()
            let flat = try #require(StatusEvent.decodeFlat(body), "not read: \(String(decoding: body, as: UTF8.self))")
            #expect(flat == (try codable(body)))
            #expect(flat.id == event.id && flat.tile == event.tile && flat.progress == event.progress && flat.costs == event.costs)
            read += 1
        }
        #expect(read == 2_000)
    }

    @Test func readsWhitespaceNullsAndAnyMemberOrder() throws {
        let body = Array("""
             { "time" : "2026-01-01T00:00:00.125Z", "status":"running", "attempt": 2 ,"tile":"x","task":"t",
              "id":"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F", "schema":"tilefleet.status-event/1", "message": null,
              "progress": 0.5, "assets": null, "usage": null, "released": false }\n
            """.utf8)
        let flat = try #require(StatusEvent.decodeFlat(body))
        #expect(flat == (try codable(body)))
        #expect(flat.attempt == 2 && flat.progress == 0.5 && flat.message == nil && flat.released == false)
    }

    static let base = #""schema":"tilefleet.status-event/1","id":"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F","task":"t","tile":"x","attempt":1,"status":"running","time":"2026-01-01T00:00:00Z""#

    @Test(arguments: [
        #"{\#(base),"message":"a \"quoted\" word"}"#,           // an escape
        #"{\#(base),"message":"Grüße"}"#,                        // non-ASCII
        #"{\#(base),"assets":[{"href":"https://x/a.tif"}]}"#,    // a nested value
        #"{\#(base),"usage":{"cpu":{"value":1}}}"#,
        #"{\#(base),"task":"u"}"#,                              // a member twice
        #"{\#(base),"extra":1}"#,                               // an unknown member
        #"{\#(base),"progress":1e-1}"#,                         // an exponent
        #"{\#(base),"progress":01}"#,                           // not a JSON number
        #"{\#(base),"progress":"0.5"}"#,                        // a string for a number
        #"{\#(base),"released":1}"#,                            // a number for a bool
        #"{\#(base)} trailing"#,                                // text after the object
        #"{\#(base),}"#,                                        // a trailing comma
        #"{"schema":"tilefleet.status-event/2","id":"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F","task":"t","tile":"x","attempt":1,"status":"running","time":"2026-01-01T00:00:00Z"}"#,
        #"{"schema":"tilefleet.status-event/1","id":"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F","task":"t","tile":"x","attempt":1.0,"status":"running","time":"2026-01-01T00:00:00Z"}"#,
        #"{"schema":"tilefleet.status-event/1","id":"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F","task":"t","tile":"x","attempt":1,"status":"exploded","time":"2026-01-01T00:00:00Z"}"#,
        #"{"schema":"tilefleet.status-event/1","id":"not-a-uuid","task":"t","tile":"x","attempt":1,"status":"running","time":"2026-01-01T00:00:00Z"}"#,
        #"{"schema":"tilefleet.status-event/1","id":"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F","task":"t","tile":"x","attempt":1,"status":"running","time":null}"#,
        #"{"schema":"tilefleet.status-event/1","id":"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F","task":"t","tile":"x","status":"running","time":"2026-01-01T00:00:00Z"}"#,
    ])
    func leavesAnythingElseToJSONDecoder(body: String) {
        #expect(StatusEvent.decodeFlat(Array(body.utf8)) == nil)
    }

    @Test func eventsOutsideTheFlatPathStillDecode() throws {
        let body = Array(#"{\#(Self.base),"message":"a \"quoted\" Grüße","assets":[{"href":"https://x/a.tif"}]}"#.utf8)
        #expect(StatusEvent.decodeFlat(body) == nil)
        let event = try StatusEvent.decode(body)
        #expect(event.message == "a \"quoted\" Grüße")
        #expect(event.assets?.first?.href == "https://x/a.tif")
    }
}

extension StatusEventFlatDecodingTests {
    @Test func readsIdsInEitherCaseAsUUIDDoes() throws {
        for _ in 0..<200 {
            let id = UUID()
            for text in [id.uuidString, id.uuidString.lowercased()] {
                let body = Array(#"{"schema":"tilefleet.status-event/1","id":"\#(text)","task":"t","tile":"x","attempt":1,"status":"running","time":"2026-01-01T00:00:00Z"}"#.utf8)
                #expect(try #require(StatusEvent.decodeFlat(body)).id == id)
            }
        }
        for text in ["6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6G", "6E3C8A1E+7B1B-4F5A-9C2D-1A2B3C4D5E6F", "6E3C8A1E7B1B4F5A9C2D1A2B3C4D5E6F"] {
            let body = Array(#"{"schema":"tilefleet.status-event/1","id":"\#(text)","task":"t","tile":"x","attempt":1,"status":"running","time":"2026-01-01T00:00:00Z"}"#.utf8)
            #expect(StatusEvent.decodeFlat(body) == nil, "\(text)")
        }
    }
}
