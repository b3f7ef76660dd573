import Serve
import Testing

@Suite struct APExStatusTests {
    @Test func tileStatusesMapOntoTheAPExPalette() {
        #expect(APExStatus(tileStatus: "pending") == .created)
        #expect(APExStatus(tileStatus: "queued") == .queued)
        #expect(APExStatus(tileStatus: "submitted") == .queued)
        #expect(APExStatus(tileStatus: "running") == .running)
        #expect(APExStatus(tileStatus: "finished") == .finished)
        #expect(APExStatus(tileStatus: "failed") == .failed)
        #expect(APExStatus(tileStatus: "canceled") == .canceled)
    }

    @Test func aTaskIsCreatedUntilATileIsDispatchedThenQueuedThenRunning() {
        #expect(APExStatus.task(counts: [:], canceled: false) == .created)
        #expect(APExStatus.task(counts: ["pending": 3], canceled: false) == .created)
        #expect(APExStatus.task(counts: ["pending": 2, "queued": 1], canceled: false) == .queued)
        #expect(APExStatus.task(counts: ["pending": 2, "submitted": 1], canceled: false) == .queued)
        #expect(APExStatus.task(counts: ["queued": 2, "running": 1], canceled: false) == .running)
        #expect(APExStatus.task(counts: ["pending": 2, "finished": 1], canceled: false) == .running)
    }

    @Test func anEndedTaskIsFailedIfAnyTileFailedElseFinishedAndCanceledWhenCanceled() {
        #expect(APExStatus.task(counts: ["finished": 3], canceled: false) == .finished)
        #expect(APExStatus.task(counts: ["finished": 2, "failed": 1], canceled: false) == .failed)
        #expect(APExStatus.task(counts: ["finished": 2, "canceled": 1], canceled: false) == .finished)
        #expect(APExStatus.task(counts: ["canceled": 3], canceled: false) == .canceled)
        #expect(APExStatus.task(counts: ["finished": 2, "canceled": 1], canceled: true) == .canceled)
        #expect(APExStatus.task(counts: ["finished": 2, "canceled": 1], canceled: true).isFinal)
        #expect(!APExStatus.running.isFinal)
    }
}
