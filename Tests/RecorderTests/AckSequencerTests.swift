@testable import Recorder
import Testing

@Suite struct AckSequencerTests {
    @Test func inOrderCommitsAreAcknowledgedAtOnce() {
        var acks = AckSequencer<String>()
        let first = acks.begin(), second = acks.begin()
        #expect(acks.commit(first, last: "d100") == "d100")
        #expect(acks.commit(second, last: "d200") == "d200")
        #expect(acks.outstanding == 0)
    }

    @Test func aLaterBatchWaitsForTheEarlierOneThenBothAreAcknowledgedWithOneAck() {
        var acks = AckSequencer<String>()
        let first = acks.begin(), second = acks.begin(), third = acks.begin()
        #expect(acks.commit(second, last: "d200") == nil)
        #expect(acks.commit(third, last: "d300") == nil)
        #expect(acks.outstanding == 3)
        #expect(acks.commit(first, last: "d100") == "d300")
        #expect(acks.outstanding == 0)
    }

    @Test func aGapHoldsBackOnlyWhatFollowsIt() {
        var acks = AckSequencer<Int>()
        let batches = (0..<5).map { _ in acks.begin() }
        #expect(acks.commit(batches[0], last: 10) == 10)
        #expect(acks.commit(batches[2], last: 30) == nil)
        #expect(acks.commit(batches[1], last: 20) == 30)
        #expect(acks.commit(batches[4], last: 50) == nil)
        #expect(acks.outstanding == 2)
        #expect(acks.commit(batches[3], last: 40) == 50)
    }
}
