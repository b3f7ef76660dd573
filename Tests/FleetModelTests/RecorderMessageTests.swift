import FleetModel
import Foundation
import Testing

/// The recorder tells events, heartbeats and ticks apart by their schema, and refuses the rest by name.
@Suite struct RecorderMessageTests {
    static let time = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func eachKindRoundTrips() throws {
        let event = StatusEvent(task: "t", tile: "a", attempt: 1, status: .running, time: Self.time)
        let beat = Heartbeat(task: "t", tile: "a", attempt: 2, worker: "h:1", time: Self.time, trouble: "submit failed: 503", tries: 3)
        let tick = FleetTick(time: Self.time)
        #expect(try RecorderMessage.decode(event.encoded()) == .event(event))
        #expect(try RecorderMessage.decode(beat.encoded()) == .heartbeat(beat))
        #expect(try RecorderMessage.decode(tick.encoded()) == .tick(tick))
    }

    @Test func routingKeysStayOutOfEveryTasksWatch() {
        #expect(Heartbeat(task: "t", tile: "a", attempt: 1, time: Self.time).routingKey == "_alive.t.a")
        #expect(FleetTick.routingKey == "_tick")
    }

    @Test func badMessagesAreRefusedWithTheReason() {
        #expect(throws: MessageRejection("unsupported schema 'x/1' (this recorder reads 'tilefleet.status-event/1')")) {
            try RecorderMessage.decode(Array(#"{"schema": "x/1"}"#.utf8))
        }
        var beat = Heartbeat(task: "t", tile: "a", attempt: 1, time: Self.time)
        beat.trouble = String(repeating: "x", count: MessageLimits.trouble + 1)
        #expect(throws: MessageRejection.self) { try RecorderMessage.decode(beat.encoded()) }
        beat.trouble = nil
        beat.attempt = 0
        #expect(throws: MessageRejection("field 'attempt' must be ≥ 1, got 0")) { try RecorderMessage.decode(beat.encoded()) }
    }
}
