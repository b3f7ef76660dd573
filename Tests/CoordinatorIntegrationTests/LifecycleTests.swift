import AMQP
import Coordinator
import FleetModel
import Foundation
import Messaging
import Postgres
import Storage
import TestSupport
import Testing

/// Cancel, retry and resume against the real broker and database.
@Suite(.serialized) struct LifecycleTests {
    @Test func cancelCancelsPendingTilesAtOnceAndSendsCancelItemsForLiveJobs() async throws {
        let h = try await Harness.make(maxActive: 3)
        do {
            let total = try await h.submit(TaskFixtures.spec(id: "cancel-me")).records.count
            let dispatched = try await h.dispatcher().dispatch(backend: "sim", maxActive: 3)
            #expect(dispatched.total == 3)
            let submitted = try await h.takeWorkItems(3)
            try await h.apply([StatusEvent(task: "cancel-me", tile: submitted[0].tile, attempt: 1, status: .submitted,
                                           backend: "sim", backendJobID: "job-42")])

            let outcome = try await Canceller(store: h.store, publisher: h.publisher).cancel(task: "cancel-me")
            #expect(outcome.canceled == total - 3)
            #expect(outcome.cancelItems == 3)
            #expect(outcome.notYetSubmitted == 2)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'canceled'") == total - 3)
            #expect(try await h.count("SELECT count(*) FROM tasks WHERE status = 'canceled'") == 1)
            // One cancel per dispatched tile; those whose job is not known yet carry no job id.
            let cancels = try await h.takeWorkItems(3)
            #expect(cancels.allSatisfy { $0.kind == .cancel })
            #expect(Set(cancels.map(\.tile)) == Set(submitted.map(\.tile)))
            #expect(cancels.first { $0.tile == submitted[0].tile }?.backendJobID == "job-42")
            #expect(cancels.filter { $0.backendJobID == nil }.count == 2)

            // Nothing of a canceled task is dispatched any more, even with free slots.
            try await h.apply(submitted.map { StatusEvent(task: "cancel-me", tile: $0.tile, attempt: 1, status: .canceled, backend: "sim") })
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 3).total == 0)

            // Cancel of named tiles of an unknown task is a clear error.
            await #expect(throws: TaskStoreError.self) { try await Canceller(store: h.store, publisher: h.publisher).cancel(task: "nope") }
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    /// A job fails just as its tile is canceled: the worker starts the next attempt anyway. The
    /// canceled tile stays canceled, the coordinator cancels the stray job once, and a later
    /// retry starts past the stray attempt.
    @Test func aRetryStartedAsTheTileWasCanceledIsCanceledAndCannotReviveTheTile() async throws {
        let h = try await Harness.make(maxActive: 1)
        do {
            _ = try await h.submit(TaskFixtures.spec(id: "stray"))
            // The task was created an hour ago, so events from ten minutes ago are its own.
            try await h.db.connection.execute("UPDATE tasks SET created_at = created_at - interval '1 hour' WHERE id = 'stray'")
            let dispatcher = try await h.dispatcher()
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 1).total == 1)
            let tile = try #require(try await h.takeWorkItems(1).first).tile
            let longAgo = Date().addingTimeInterval(-600)
            try await h.apply([StatusEvent(task: "stray", tile: tile, attempt: 1, status: .running, backend: "sim",
                                           backendJobID: "job-1", time: longAgo)])

            let outcome = try await Canceller(store: h.store, publisher: h.publisher).cancel(task: "stray")
            #expect(outcome.cancelItems == 1 && outcome.notYetSubmitted == 0)
            #expect(try await h.takeWorkItems(1).first?.backendJobID == "job-1")

            // The job had failed: its worker publishes `retrying` and submits attempt 2, whose job
            // runs — and only then does the cancel of attempt 1 land.
            try await h.apply([
                StatusEvent(task: "stray", tile: tile, attempt: 1, status: .retrying, backend: "sim", backendJobID: "job-1",
                            error: "boom", time: longAgo.addingTimeInterval(1)),
                StatusEvent(task: "stray", tile: tile, attempt: 2, status: .running, backend: "sim", backendJobID: "job-2",
                            time: longAgo.addingTimeInterval(2)),
            ])
            try await h.apply([StatusEvent(task: "stray", tile: tile, attempt: 1, status: .canceled, backend: "sim",
                                           backendJobID: "job-1", time: longAgo.addingTimeInterval(3))])
            #expect(try await h.count("""
                SELECT count(*) FROM tiles WHERE task_id = 'stray' AND tile_id = \(tile) AND status = 'canceled' AND attempt = 1
                """) == 1, "attempt 2 must not move the canceled tile")

            // Within the grace after the cancel, the stray pass waits for the cancels on their way.
            #expect(try await dispatcher.cancelStrayJobs() == 0)
            #expect(try await dispatcher.cancelStrayJobs(grace: .zero) == 1)
            let cancel = try #require(try await h.takeWorkItems(1).first)
            #expect(cancel.kind == .cancel && cancel.attempt == 2 && cancel.backendJobID == "job-2")
            #expect(try await dispatcher.cancelStrayJobs(grace: .zero) == 0, "one cancel per stray job")

            // No retry while the stray job still runs; once it is canceled, the retry starts past it.
            #expect(try await h.store.startNextAttempt(task: "stray", tiles: [tile]) == 0)
            try await h.apply([StatusEvent(task: "stray", tile: tile, attempt: 2, status: .canceled, backend: "sim",
                                           backendJobID: "job-2", time: longAgo.addingTimeInterval(4))])
            #expect(try await h.store.startNextAttempt(task: "stray", tiles: [tile]) == 1)
            #expect(try await h.count("""
                SELECT count(*) FROM tiles WHERE task_id = 'stray' AND tile_id = \(tile) AND status = 'pending' AND attempt = 3
                """) == 1, "the new attempt comes after the stray attempt 2")
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    @Test func retryStartsANewAttemptForFailedTiles() async throws {
        let h = try await Harness.make(maxActive: 50)
        do {
            let total = try await h.submit(TaskFixtures.spec(id: "flaky")).records.count
            #expect(try await h.dispatcher().dispatch(backend: "sim", maxActive: 50).total == total)
            let items = try await h.takeWorkItems(total)
            var events: [StatusEvent] = []
            for (index, item) in items.enumerated() {
                events.append(StatusEvent(task: "flaky", tile: item.tile, attempt: 1, status: index < 2 ? .failed : index == 2 ? .canceled : .finished,
                                          backend: "sim", error: index < 2 ? "boom" : nil))
            }
            try await h.apply(events)
            #expect(try await h.store.startNextAttempt(task: "flaky", failedOnly: true) == 2)
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'pending' AND attempt = 2") == 2)
            #expect(try await h.store.startNextAttempt(task: "flaky", tiles: [items[2].tile]) == 1)

            let outcome = try await h.dispatcher().dispatch(backend: "sim", maxActive: 50)
            #expect(outcome.total == 3)
            let retried = try await h.takeWorkItems(3)
            #expect(retried.allSatisfy { $0.attempt == 2 && $0.idempotencyKey.hasSuffix(":2") })
            #expect(Set(retried.map(\.tile)) == Set(items.prefix(3).map(\.tile)))

            // A stale event of attempt 1 does not move the retried tile back.
            try await h.apply([StatusEvent(task: "flaky", tile: items[0].tile, attempt: 1, status: .failed, backend: "sim")])
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE attempt = 2 AND status = 'queued'") == 3)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    /// The broker loses every queue. Items carry a lease; `resume` (the coordinator's recovery
    /// pass) republishes a tile only once it has been silent beyond its lease before the recorder's
    /// watermark, marks it first, and so adds nothing however often it runs.
    @Test func resumeRepublishesSilentTilesOnceWhateverTimesItRuns() async throws {
        let h = try await Harness.make(maxActive: 4)
        do {
            _ = try await h.submit(TaskFixtures.spec(id: "survivor"))
            let dispatcher = try await h.dispatcher(lease: .seconds(1))
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 4).total == 4)
            let items = try await h.takeWorkItems(4)
            for item in items {
                let alive = try #require(item.aliveAt)
                #expect(item.leaseUntil == alive.addingTimeInterval(1), "a dispatched item's lease starts at its claim")
            }
            try await h.apply([
                StatusEvent(task: "survivor", tile: items[0].tile, attempt: 1, status: .submitted, backend: "sim", backendJobID: "j-0"),
                StatusEvent(task: "survivor", tile: items[1].tile, attempt: 1, status: .running, backend: "sim", backendJobID: "j-1"),
            ])
            // The broker loses everything.
            try await h.topology.delete(on: h.channel)
            let resumer = Resumer(dispatcher: dispatcher, silence: ["sim": .seconds(2)])

            // No watermark yet: the recorder may hold any number of signs of life, so nothing moves.
            #expect(try await resumer.resume() == Resumer.Outcome(polls: 0, submits: 0))
            // An hour passes; then the recorder applies a tick.
            try await h.age(.seconds(3600))
            try await h.applyTick(Date())
            let outcome = try await resumer.resume()
            #expect(outcome == Resumer.Outcome(polls: 2, submits: 2))
            for _ in 0..<2 {
                #expect(try await resumer.resume() == Resumer.Outcome(polls: 0, submits: 0), "a tile is republished once per lease")
            }
            let rebuilt = try await h.takeWorkItems(5, timeout: .seconds(2))
            #expect(rebuilt.count == 4)
            let polls = rebuilt.filter { $0.kind == .poll }
            #expect(Set(polls.compactMap(\.backendJobID)) == ["j-0", "j-1"])
            #expect(rebuilt.filter { $0.kind == .submit }.count == 2)
            #expect(rebuilt.filter { $0.kind == .submit }.allSatisfy { $0.mayExist == true }, "a republished submit looks its job up first")
            #expect(rebuilt.allSatisfy { $0.leaseUntil != nil && $0.aliveAt != nil })
            #expect(Set(rebuilt.map(\.idempotencyKey)).count == 4)
            // Pending tiles are not the recovery's business: they stay for the dispatcher.
            #expect(try await h.count("SELECT count(*) FROM tiles WHERE status = 'pending'") > 0)

            // Another hour; a heartbeat just before the tick keeps its tile out of the next pass.
            try await h.age(.seconds(3600))
            try await EventStore(connection: h.db.connection).apply([], heartbeats: [
                Heartbeat(task: "survivor", tile: items[0].tile, attempt: 1, time: Date()),
            ])
            try await h.applyTick(Date())
            let later = try await resumer.resume()
            #expect(later.polls + later.submits == 3, "every tile but the one alive")
            _ = try await h.takeWorkItems(3)
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }

    /// A coordinator that committed its claim and died before publishing leaves tiles queued with
    /// no item: they still count against `max_active`, and recovery republishes them.
    @Test func tilesClaimedButNeverPublishedHoldTheirSlotsUntilRecovered() async throws {
        let h = try await Harness.make(maxActive: 3)
        do {
            _ = try await h.submit(TaskFixtures.spec(id: "orphan"))
            let dispatcher = try await h.dispatcher(lease: .seconds(1))
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 3).total == 3)
            _ = try await h.channel.purgeQueue(h.topology.workQueue(backend: "sim"))
            #expect(try await dispatcher.dispatch(backend: "sim", maxActive: 3).total == 0, "the slots stay held")
            try await h.age(.seconds(3600))
            try await h.applyTick(Date())
            let recovered = try await dispatcher.recover(silence: ["sim": .seconds(2)])
            #expect(recovered == Dispatcher.RecoveryOutcome(polls: 0, submits: 3))
            let items = try await h.takeWorkItems(3)
            #expect(items.allSatisfy { $0.kind == .submit && $0.mayExist == true })
        } catch {
            await h.tearDown()
            throw error
        }
        await h.tearDown()
    }
}
