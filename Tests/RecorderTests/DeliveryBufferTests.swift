@testable import Recorder
import Testing

/// Batches handed out by the recorder's buffer: full at once, partial after the wait, nil at the end.
@Suite struct DeliveryBufferTests {
    @Test func aFullBatchIsHandedOutWithoutWaitingForTheDeadline() async {
        let buffer = DeliveryBuffer<Int>()
        for value in 0..<5 { buffer.append(value) }
        // An hour's wait would hang the test if a full batch waited for its deadline.
        let batch = await buffer.nextBatch(max: 3, maxWait: .seconds(3600))
        #expect(batch == [0, 1, 2])
        let rest = await buffer.nextBatch(max: 3, maxWait: .milliseconds(1))
        #expect(rest == [3, 4])
    }

    @Test func aBatchFillingWhileTheReaderWaitsIsHandedOutWhenFull() async {
        let buffer = DeliveryBuffer<Int>()
        buffer.append(0)
        async let batch = buffer.nextBatch(max: 3, maxWait: .seconds(3600))
        buffer.append(1)
        buffer.append(2)
        #expect(await batch == [0, 1, 2])
    }

    @Test func aPartialBatchIsHandedOutAfterTheWait() async {
        let buffer = DeliveryBuffer<Int>()
        buffer.append(7)
        let batch = await buffer.nextBatch(max: 100, maxWait: .milliseconds(20))
        #expect(batch == [7])
    }

    @Test func theReaderWaitsForAFirstDeliveryAsLongAsItTakes() async {
        let buffer = DeliveryBuffer<Int>()
        async let batch = buffer.nextBatch(max: 2, maxWait: .seconds(3600))
        buffer.append(1)
        buffer.append(2)
        #expect(await batch == [1, 2])
    }

    @Test func finishingEndsTheWaitAndTheDrainedBufferReturnsNil() async {
        let buffer = DeliveryBuffer<Int>()
        buffer.append(1)
        async let partial = buffer.nextBatch(max: 10, maxWait: .seconds(3600))
        buffer.finish()
        #expect(await partial == [1])
        #expect(await buffer.nextBatch(max: 10, maxWait: .seconds(3600)) == nil)
    }

    @Test func finishingAnEmptyBufferWakesAnIdleReader() async {
        let buffer = DeliveryBuffer<Int>()
        async let batch = buffer.nextBatch(max: 10, maxWait: .seconds(3600))
        buffer.finish()
        #expect(await batch == nil)
    }
}
