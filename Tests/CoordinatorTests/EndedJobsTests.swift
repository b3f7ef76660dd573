import Coordinator
import FleetModel
import Foundation
import Testing

struct EndedJobsTests {
    typealias Attempt = EndedJobs.Attempt
    let start = ContinuousClock.now

    /// Notes `event` (what ``EndedJobs/note(_:at:)`` answers).
    func note(_ ended: inout EndedJobs, _ event: StatusEvent, at offset: Duration = .zero) -> Bool {
        ended.note(event, at: start + offset)
    }

    func event(_ tile: String, attempt: Int = 1, status: EventStatus = .finished, backend: String? = "sim") -> StatusEvent {
        StatusEvent(task: "t", tile: tile, attempt: attempt, status: status, backend: backend)
    }

    @Test func onlyAFinishedJobOnANamedBackendIsNotedAndOnlyOnce() {
        var ended = EndedJobs()
        #expect(note(&ended, event("a")))
        #expect(!note(&ended, event("a"), at: .seconds(1)), "a redelivered event frees nothing more")
        #expect(note(&ended, event("a", attempt: 2)), "another attempt is another job")
        // A failed attempt is followed by the worker's own submit of the next one, in the same slot.
        #expect(!note(&ended, event("b", status: .failed)))
        #expect(!note(&ended, event("c", status: .running)))
        #expect(!note(&ended, event("d", backend: nil)))
        #expect(!note(&ended, event("e", backend: "")))
        #expect(ended.attempts(on: nil) == [Attempt(task: "t", tile: "a", attempt: 1, backend: "sim"),
                                            Attempt(task: "t", tile: "a", attempt: 2, backend: "sim")])
    }

    @Test func attemptsAreListedPerBackend() {
        var ended = EndedJobs()
        _ = ended.note(event("a", backend: "x"), at: start)
        _ = ended.note(event("b", backend: "y"), at: start)
        #expect(ended.attempts(on: "x").map(\.tile) == ["a"])
        #expect(ended.attempts(on: "y").map(\.tile) == ["b"])
        #expect(ended.attempts(on: "z").isEmpty)
        #expect(ended.attempts(on: nil).count == 2)
    }

    @Test func aNoteStaysWhileTheDatabaseStillCountsItAndGoesOnceItNoLongerDoes() {
        var ended = EndedJobs()
        _ = ended.note(event("a"), at: start)
        _ = ended.note(event("b"), at: start)
        _ = ended.note(event("c", backend: "other"), at: start)
        let checked = ended.attempts(on: "sim")
        // The recorder stored `b`; `a` is still in flight in the database.
        ended.settle(checked: checked, stillInFlight: checked.filter { $0.tile == "a" })
        #expect(Set(ended.attempts(on: nil).map(\.tile)) == ["a", "c"], "an unchecked backend's note stays")
        // Noted again after it was stored (a late duplicate): the next check drops it again.
        #expect(note(&ended, event("b")))
        ended.settle(checked: ended.attempts(on: "sim"), stillInFlight: [])
        #expect(ended.attempts(on: "sim").isEmpty)
    }

    @Test func aNoteTheDatabaseNeverCatchesUpWithExpires() {
        var ended = EndedJobs(keep: .seconds(60))
        _ = ended.note(event("a"), at: start)
        _ = ended.note(event("b"), at: start + .seconds(30))
        ended.expire(now: start + .seconds(59))
        #expect(ended.count == 2)
        ended.expire(now: start + .seconds(61))
        #expect(ended.attempts(on: nil).map(\.tile) == ["b"])
    }

    @Test func pastItsCapacityTheOldestNoteGoes() {
        var ended = EndedJobs(capacity: 2)
        _ = ended.note(event("a"), at: start)
        _ = ended.note(event("b"), at: start + .seconds(1))
        _ = ended.note(event("c"), at: start + .seconds(2))
        #expect(ended.attempts(on: nil).map(\.tile) == ["b", "c"])
    }
}
