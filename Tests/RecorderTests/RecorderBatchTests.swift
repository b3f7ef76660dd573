@testable import AMQP
import FleetModel
import Foundation
@testable import Recorder
import Testing

/// The recorder's pure split of a batch: times beyond the clock skew are rejected with the field named.
@Suite struct RecorderBatchTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)

    static func parsed(_ body: [UInt8], tag: UInt64) -> ParsedDelivery {
        ParsedDelivery(AMQPDelivery(body: body, exchange: "tilefleet.events", routingKey: "t.a.running", redelivered: false,
                                    deliveryTag: tag, consumerTag: "c", properties: AMQPProperties(), channelID: 1, channelGeneration: 1))
    }

    @Test func aTickBeyondTheClockSkewNeverBecomesTheWatermark() {
        let forged = FleetTick(time: Self.now.addingTimeInterval(86_400))
        let real = FleetTick(time: Self.now.addingTimeInterval(-1))
        let batch = RecorderBatch([Self.parsed(forged.encoded(), tag: 1), Self.parsed(real.encoded(), tag: 2)], now: Self.now, clockSkew: .seconds(30))
        #expect(batch.tick == real.time)
        #expect(batch.rejected.map(\.0.deliveryTag) == [1])
        #expect(batch.rejected.first?.1.hasPrefix("field 'time' (") == true)
    }

    @Test func eventsAndHeartbeatsBeyondTheClockSkewAreRejected() {
        let skew = Duration.seconds(30)
        let onTime = StatusEvent(task: "t", tile: "a", attempt: 1, status: .running, time: Self.now.addingTimeInterval(30))
        let far = StatusEvent(task: "t", tile: "a", attempt: 1, status: .running, time: Date(timeIntervalSince1970: 253_402_214_400)) // 9999-12-31
        let early = StatusEvent(task: "t", tile: "a", attempt: 1, status: .running, time: Self.now.addingTimeInterval(31))
        let beat = Heartbeat(task: "t", tile: "a", attempt: 1, time: Self.now.addingTimeInterval(3600))
        let okBeat = Heartbeat(task: "t", tile: "a", attempt: 1, time: Self.now)
        let batch = RecorderBatch([Self.parsed(onTime.encoded(), tag: 1), Self.parsed(far.encoded(), tag: 2), Self.parsed(early.encoded(), tag: 3),
                                   Self.parsed(beat.encoded(), tag: 4), Self.parsed(okBeat.encoded(), tag: 5)],
                                  now: Self.now, clockSkew: skew)
        #expect(batch.events == [onTime])
        #expect(batch.heartbeats == [okBeat])
        #expect(batch.rejected.map(\.0.deliveryTag) == [2, 3, 4])
        #expect(batch.rejections.map(\.reason) == batch.rejected.map(\.1))
        #expect(batch.rejected[0].1 == "field 'time' (9999-12-31T00:00:00Z) is more than the clock skew of 30.0 seconds ahead of the recorder's clock")
        #expect(batch.rejected.allSatisfy { $0.1.hasPrefix("field 'time'") })
    }
}
